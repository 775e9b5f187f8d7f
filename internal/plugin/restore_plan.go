package plugin

import (
	"fmt"
	"strings"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

// annotationRestoredFrom records, on what restore creates, which
// Database's backups it came from and to what time.
const annotationRestoredFrom = "dbaas.io/restored-from"

// A restorePlan is what kubectl dbaas restore creates: a DatabaseInstance
// restored from the source's backups, and a copy of each of the source's
// VirtualMachines for it.
type restorePlan struct {
	instance *enginev1alpha1.DatabaseInstance
	vms      []*computev1alpha1.VirtualMachine
	// from are the source's machines, in the order of vms.
	from []string
}

// sourceMachines are the names of the instance's VirtualMachines.
func sourceMachines(in *enginev1alpha1.DatabaseInstance) ([]string, error) {
	p := in.Spec.ForProvider
	names := make([]string, 0, len(p.VirtualMachineRefs)+len(p.VirtualMachines))
	for _, r := range p.VirtualMachineRefs {
		names = append(names, r.Name)
	}
	if len(names) == 0 {
		names = append(names, p.VirtualMachines...)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("DatabaseInstance %s names no VirtualMachines (it selects them by label): restore copies named machines only", in.Name)
	}
	return names, nil
}

// planRestore plans the restore of the Database d's instance in to the
// time toTime as a new instance named as, on copies of its machines vms
// (by name). The platform's Database has no field to restore into, so the
// restored instance is managed resources of its own; the provider checks
// the time against the store again and refuses a target it cannot reach.
func planRestore(d database, in *enginev1alpha1.DatabaseInstance, vms map[string]*computev1alpha1.VirtualMachine, as, toTime string) (restorePlan, error) {
	t, err := time.Parse(time.RFC3339Nano, toTime)
	if err != nil {
		return restorePlan{}, fmt.Errorf("--to-time %q is not a time: give it in RFC 3339, such as 2026-12-07T11:30:00Z or 2026-12-07T12:30:00+01:00", toTime)
	}
	b := in.Spec.ForProvider.Backup
	if b == nil {
		return restorePlan{}, fmt.Errorf("database %s/%s has no backup store: there are no backups to restore from", d.namespace(), d.name())
	}
	rw := in.Status.AtProvider.RecoveryWindow
	if rw == nil || rw.FirstRecoverabilityPoint == nil {
		return restorePlan{}, fmt.Errorf("database %s/%s has no completed backup yet: a restore starts from one (kubectl dbaas backup %s)", d.namespace(), d.name(), d.name())
	}
	if t.Before(rw.FirstRecoverabilityPoint.Time) {
		return restorePlan{}, fmt.Errorf("--to-time %s is before the recovery window of %s/%s, which starts at %s (the end of the oldest backup in its store)",
			toTime, d.namespace(), d.name(), when(rw.FirstRecoverabilityPoint))
	}
	if rw.LastArchivedTime != nil && t.After(rw.LastArchivedTime.Time) {
		return restorePlan{}, fmt.Errorf("--to-time %s is after the recovery window of %s/%s, which ends at %s (its last archived WAL, %s)",
			toTime, d.namespace(), d.name(), when(rw.LastArchivedTime), orDash(rw.LastArchivedWAL))
	}
	names, err := sourceMachines(in)
	if err != nil {
		return restorePlan{}, err
	}
	// The machines are named <as>-<n>, which must be a DNS label too.
	if errs := validation.IsDNS1123Label(fmt.Sprintf("%s-%d", as, len(names)-1)); len(errs) > 0 {
		return restorePlan{}, fmt.Errorf("--into %q cannot name the restored instance and its machines (%s-0, ...): %s", as, as, strings.Join(errs, "; "))
	}
	restored := fmt.Sprintf("%s/%s at %s", d.namespace(), d.name(), toTime)
	plan := restorePlan{from: names}
	refs := make([]xpv2.NamespacedReference, 0, len(names))
	for i, n := range names {
		src, ok := vms[n]
		if !ok {
			return restorePlan{}, fmt.Errorf("VirtualMachine %s of DatabaseInstance %s was not read", n, in.Name)
		}
		vm := &computev1alpha1.VirtualMachine{
			TypeMeta: metav1.TypeMeta{APIVersion: computev1alpha1.SchemeGroupVersion.String(), Kind: computev1alpha1.VirtualMachineKind},
			ObjectMeta: metav1.ObjectMeta{
				Namespace: in.Namespace, Name: fmt.Sprintf("%s-%d", as, i),
				Annotations: map[string]string{annotationRestoredFrom: restored},
			},
			Spec: computev1alpha1.VirtualMachineSpec{
				ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: src.Spec.ProviderConfigReference.DeepCopy()},
				ForProvider:         *src.Spec.ForProvider.DeepCopy(),
			},
		}
		plan.vms = append(plan.vms, vm)
		refs = append(refs, xpv2.NamespacedReference{Name: vm.Name})
	}
	p := *in.Spec.ForProvider.DeepCopy()
	p.VirtualMachineRefs, p.VirtualMachines, p.VirtualMachineSelector = refs, nil, nil
	// A switchover asked of the source is no concern of the copy.
	p.Primary = ""
	// The restored instance has a superuser password of its own; the
	// source's Secret is never shared.
	p.AdminPasswordSecretRef = xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: as + "-admin"}, Key: "password"}
	p.AutoGeneratePassword = true
	p.Bootstrap = &enginev1alpha1.BootstrapParameters{Recovery: enginev1alpha1.RecoveryParameters{
		Source: &enginev1alpha1.RecoverySource{Instance: in.Name, Store: b.Store, StoreKind: b.StoreKind},
		Target: enginev1alpha1.RecoveryTarget{Time: toTime},
	}}
	plan.instance = &enginev1alpha1.DatabaseInstance{
		TypeMeta: metav1.TypeMeta{APIVersion: enginev1alpha1.SchemeGroupVersion.String(), Kind: enginev1alpha1.DatabaseInstanceKind},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: in.Namespace, Name: as,
			Annotations: map[string]string{annotationRestoredFrom: restored},
		},
		Spec: enginev1alpha1.DatabaseInstanceSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{
				ProviderConfigReference:          in.Spec.ProviderConfigReference.DeepCopy(),
				WriteConnectionSecretToReference: &xpv2.LocalSecretReference{Name: as + "-connection"},
			},
			ForProvider: p,
		},
	}
	return plan, nil
}
