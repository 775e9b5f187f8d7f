package bench200

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/vsphere/vspherefake"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// machines is the point of the benchmark; do not lower it to make a run
// faster.
const machines = 200

// The provider's defaults: --max-reconcile-rate 10 (reconciles a second
// across the provider, and concurrent reconciles per kind) and --poll 1m.
// -args -bench200.max-reconcile-rate=50 measures a provider run faster.
var maxRate = flag.Int("bench200.max-reconcile-rate", 10, "the provider's --max-reconcile-rate")

// BenchmarkTwoHundredVMs reports, per run, the seconds from the first create
// to the last VirtualMachine Ready and from the first delete to the last one
// gone, and vCenter API requests per machine for each half.
func BenchmarkTwoHundredVMs(b *testing.B) {
	env := testenv.Start(b)
	c := env.Client
	env.StartManager(b, testenv.ManagerConfig{
		Setups:           []testenv.Setup{config.Setup, virtualmachine.Setup},
		Concurrency:      *maxRate,
		MaxReconcileRate: *maxRate,
		PollInterval:     time.Minute,
	})
	rig := vspherefake.Start(b)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		ns := fmt.Sprintf("bench-%d", i)
		setUp(b, c, rig, ns)

		b.ResetTimer()
		start, calls := time.Now(), rig.Calls()
		for m := 0; m < machines; m++ {
			if err := c.Create(ctx, newVM(rig.Image(), ns, fmt.Sprintf("vm-%03d", m))); err != nil {
				b.Fatal(err)
			}
		}
		waitAll(b, c, ns, func(vms []v1alpha1.VirtualMachine) bool {
			for i := range vms {
				if vms[i].GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue {
					return false
				}
			}
			return len(vms) == machines
		})
		ready, createCalls := time.Since(start), rig.Calls()-calls

		start, calls = time.Now(), rig.Calls()
		if err := c.DeleteAllOf(ctx, &v1alpha1.VirtualMachine{}, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		waitAll(b, c, ns, func(vms []v1alpha1.VirtualMachine) bool { return len(vms) == 0 })
		gone, deleteCalls := time.Since(start), rig.Calls()-calls
		b.StopTimer()

		for m := 0; m < machines; m++ {
			if n, err := rig.Machines(fmt.Sprintf("vm-%03d", m)); err != nil || n != 0 {
				b.Fatalf("vcsim still holds %d machines named vm-%03d (err %v)", n, m, err)
			}
		}
		b.ReportMetric(ready.Seconds(), "s-to-all-ready")
		b.ReportMetric(gone.Seconds(), "s-to-all-gone")
		b.ReportMetric(float64(createCalls)/machines, "calls/vm-create")
		b.ReportMetric(float64(deleteCalls)/machines, "calls/vm-delete")
	}
}

// waitAll polls the namespace's VirtualMachines until done holds.
func waitAll(b *testing.B, c client.Client, ns string, done func([]v1alpha1.VirtualMachine) bool) {
	b.Helper()
	deadline := time.Now().Add(15 * time.Minute)
	for time.Now().Before(deadline) {
		l := &v1alpha1.VirtualMachineList{}
		if err := c.List(context.Background(), l, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		if done(l.Items) {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	b.Fatal("not done within 15 minutes")
}

func setUp(b *testing.B, c client.Client, rig *vspherefake.Rig, ns string) {
	b.Helper()
	ctx := context.Background()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		b.Fatal(err)
	}
	spec := rig.ProviderConfig()
	if creds := rig.Credentials(); creds != nil {
		if err := c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "vsphere"}, Data: map[string][]byte{"credentials": creds}}); err != nil {
			b.Fatal(err)
		}
		spec.Credentials = &apisv1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceSecret,
			CommonCredentialSelectors: xpv2.CommonCredentialSelectors{SecretRef: &xpv2.SecretKeySelector{
				SecretReference: xpv2.SecretReference{Namespace: ns, Name: "vsphere"}, Key: "credentials"}}}
	}
	if err := c.Create(ctx, &apisv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "vsphere"}, Spec: spec}); err != nil {
		b.Fatal(err)
	}
}

func newVM(image, ns, name string) *v1alpha1.VirtualMachine {
	return &v1alpha1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.VirtualMachineSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: "vsphere"}},
			ForProvider: v1alpha1.VirtualMachineParameters{CPU: 2, MemoryMiB: 4096, Image: image,
				Disks: []v1alpha1.Disk{{Name: "data", SizeGiB: 20}}},
		},
	}
}
