package plugin

import (
	"strings"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

func planFixture(mutate func(*enginev1alpha1.DatabaseInstance)) (database, *enginev1alpha1.DatabaseInstance, map[string]*computev1alpha1.VirtualMachine) {
	d := asDatabase(&unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"namespace": "team-a", "name": "orders"},
		"spec":     map[string]any{"tier": "standard", "environment": "local"},
	}})
	at := func(s string) *metav1.Time {
		t, _ := time.Parse(time.RFC3339, s)
		return &metav1.Time{Time: t}
	}
	in := &enginev1alpha1.DatabaseInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "orders"}}
	in.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "local"}
	in.Spec.ForProvider = enginev1alpha1.DatabaseInstanceParameters{
		Engine: enginev1alpha1.EnginePostgreSQL, Version: "15", StorageGB: 10, Primary: "orders-1",
		VirtualMachineRefs:     []xpv2.NamespacedReference{{Name: "orders-0"}, {Name: "orders-1"}},
		AdminPasswordSecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "orders-admin"}, Key: "password"},
		Backup:                 &enginev1alpha1.InstanceBackupParameters{Store: "s3"},
	}
	in.Status.AtProvider.RecoveryWindow = &enginev1alpha1.RecoveryWindow{
		FirstRecoverabilityPoint: at("2026-12-01T00:00:00Z"), LastArchivedTime: at("2026-12-07T12:00:00Z"), LastArchivedWAL: "00000001000000000000000A",
	}
	if mutate != nil {
		mutate(in)
	}
	vms := map[string]*computev1alpha1.VirtualMachine{}
	for _, n := range []string{"orders-0", "orders-1"} {
		vms[n] = &computev1alpha1.VirtualMachine{Spec: computev1alpha1.VirtualMachineSpec{ForProvider: computev1alpha1.VirtualMachineParameters{CPU: 2, MemoryMiB: 4096}}}
	}
	return d, in, vms
}

func TestPlanRestore(t *testing.T) {
	cases := map[string]struct {
		reason  string
		mutate  func(*enginev1alpha1.DatabaseInstance)
		as, at  string
		wantErr string
	}{
		"InWindow":   {reason: "A time in the recovery window plans a restore.", as: "copy", at: "2026-12-07T11:00:00.123456Z"},
		"OffsetTime": {reason: "A time with a UTC offset is a time.", as: "copy", at: "2026-12-07T12:30:00+01:00"},
		"NotATime": {
			reason: "A time not in RFC 3339 is refused with an example.", as: "copy", at: "2026-12-07 11:00",
			wantErr: `--to-time "2026-12-07 11:00" is not a time: give it in RFC 3339`,
		},
		"BeforeWindow": {
			reason: "A time before the oldest backup's end cannot be reached.", as: "copy", at: "2026-11-30T00:00:00Z",
			wantErr: "is before the recovery window of team-a/orders, which starts at 2026-12-01T00:00:00Z",
		},
		"AfterWindow": {
			reason: "A time after the last archived WAL cannot be reached.", as: "copy", at: "2026-12-07T12:00:01Z",
			wantErr: "is after the recovery window of team-a/orders, which ends at 2026-12-07T12:00:00Z",
		},
		"NoStore": {
			reason: "An instance without backup settings has nothing to restore.",
			mutate: func(in *enginev1alpha1.DatabaseInstance) { in.Spec.ForProvider.Backup = nil },
			as:     "copy", at: "2026-12-07T11:00:00Z",
			wantErr: "has no backup store",
		},
		"NoBackupYet": {
			reason: "An instance with no completed backup has no window.",
			mutate: func(in *enginev1alpha1.DatabaseInstance) {
				in.Status.AtProvider.RecoveryWindow.FirstRecoverabilityPoint = nil
			},
			as: "copy", at: "2026-12-07T11:00:00Z",
			wantErr: "has no completed backup yet",
		},
		"BadName": {
			reason: "A name that cannot name the machines is refused.", as: "Copy_1", at: "2026-12-07T11:00:00Z",
			wantErr: `--into "Copy_1" cannot name the restored instance`,
		},
		"Selector": {
			reason: "Machines chosen by label are not copied.",
			mutate: func(in *enginev1alpha1.DatabaseInstance) {
				in.Spec.ForProvider.VirtualMachineRefs = nil
				in.Spec.ForProvider.VirtualMachineSelector = &xpv2.NamespacedSelector{MatchLabels: map[string]string{"a": "b"}}
			},
			as: "copy", at: "2026-12-07T11:00:00Z",
			wantErr: "selects them by label",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d, in, vms := planFixture(tc.mutate)
			plan, err := planRestore(d, in, vms, tc.as, tc.at)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%s\nplanRestore(...): error %v, want one holding %q", tc.reason, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nplanRestore(...): %v", tc.reason, err)
			}
			p := plan.instance.Spec.ForProvider
			r := p.Bootstrap.Recovery
			if r.Source == nil || r.Source.Instance != "orders" || r.Source.Store != "s3" || r.Target.Time != tc.at || r.BackupRef != nil {
				t.Errorf("%s\nbootstrap.recovery: %+v", tc.reason, r)
			}
			if p.Primary != "" || p.AdminPasswordSecretRef.Name != tc.as+"-admin" || !p.AutoGeneratePassword ||
				len(p.VirtualMachineRefs) != 2 || p.VirtualMachineRefs[1].Name != tc.as+"-1" {
				t.Errorf("%s\nthe restored instance's parameters: %+v", tc.reason, p)
			}
			if in.Spec.ForProvider.Bootstrap != nil || in.Spec.ForProvider.Primary != "orders-1" {
				t.Errorf("%s\nplanRestore changed the source instance: %+v", tc.reason, in.Spec.ForProvider)
			}
			if len(plan.vms) != 2 || plan.vms[0].Spec.ForProvider.CPU != 2 || plan.vms[0].Name != tc.as+"-0" || plan.from[0] != "orders-0" {
				t.Errorf("%s\nthe machines: %+v from %v", tc.reason, plan.vms, plan.from)
			}
		})
	}
}

func TestPlanBackup(t *testing.T) {
	now := time.Date(2026, 12, 7, 19, 0, 1, 0, time.FixedZone("CET", 3600))
	cases := map[string]struct {
		reason   string
		mutate   func(*enginev1alpha1.DatabaseInstance)
		typ      string
		wantName string
		wantErr  string
	}{
		"Full":    {reason: "A Backup is named after the Database, its type and the time in UTC.", typ: "full", wantName: "orders-full-20261207-180001"},
		"Incr":    {reason: "Every pgBackRest type is taken.", typ: "incr", wantName: "orders-incr-20261207-180001"},
		"BadType": {reason: "A type pgBackRest has not is refused, listing those it has.", typ: "weekly", wantErr: `--type "weekly" is not a backup type: use one of full, diff, incr`},
		"NoStore": {
			reason: "An instance without backup settings is refused, saying where they come from.",
			mutate: func(in *enginev1alpha1.DatabaseInstance) { in.Spec.ForProvider.Backup = nil },
			typ:    "full", wantErr: "has no backup store: its tier (standard) or its environment (local) composes no backups",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d, in, _ := planFixture(tc.mutate)
			b, err := planBackup(d, in, tc.typ, now)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("%s\nplanBackup(...): error %v, want one holding %q", tc.reason, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nplanBackup(...): %v", tc.reason, err)
			}
			if b.Name != tc.wantName || b.Namespace != "team-a" || b.Spec.ForProvider.Instance != "orders" || string(b.Spec.ForProvider.Type) != tc.typ {
				t.Errorf("%s\nplanBackup(...) = %s/%s %+v", tc.reason, b.Namespace, b.Name, b.Spec.ForProvider)
			}
		})
	}
}
