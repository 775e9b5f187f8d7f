package machines

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backend"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/testing/machinetest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// TestOwnership: on every backend whose fake can make machines behind the
// provider's back (vcsim, the Azure SDK's fakes, the GCP fake), a
// VirtualMachine never takes over or destroys a machine of its name that
// it did not make. A machine without a marker, or with another namespace's,
// is refused and survives the resource's delete unchanged; an import is
// honoured only through a ClusterProviderConfig, and then marks the
// machine.
func TestOwnership(t *testing.T) {
	t.Parallel()
	env := testenv.Shared(t)
	rigs := startRigs(t)
	var o backend.Options
	for _, r := range rigs {
		r.wire(&o)
	}
	// A manager on the shared API server sees the namespaces made before
	// it started: each planting rig's is made here, not in its subtest.
	for _, r := range rigs {
		if _, ok := r.rig.(machinetest.Planter); ok {
			setUp(t, env.Client, r.rig, "owner-"+r.name)
		}
	}
	env.StartManager(t, testenv.ManagerConfig{Setups: []testenv.Setup{config.Setup, virtualmachine.Setup}, Machines: o, Concurrency: 4})

	planters := 0
	for _, r := range rigs {
		p, ok := r.rig.(machinetest.Planter)
		if !ok {
			continue
		}
		planters++
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			ns := "owner-" + r.name
			cpc := setUpCluster(t, env.Client, r.rig, ns)
			t.Run("Unmarked", func(t *testing.T) {
				refusedAndLeft(t, env.Client, r, p, newVM(r, ns, "unmarked"), nil, "exists and was not made by this provider")
			})
			t.Run("OtherNamespace", func(t *testing.T) {
				other := &ownership.Owner{Namespace: "team-b", UID: "0f1e2d3c-0000-4000-8000-0000000000bb"}
				refusedAndLeft(t, env.Client, r, p, newVM(r, ns, "team-b-vm"), other, "belongs to another resource (team-b/"+other.UID+")")
			})
			t.Run("ImportThroughNamespacedConfig", func(t *testing.T) {
				vm := newVM(r, ns, "import-refused")
				vm.SetAnnotations(map[string]string{ownership.ImportAnnotation: "true"})
				refusedAndLeft(t, env.Client, r, p, vm, nil, "is honoured only through a ClusterProviderConfig")
			})
			t.Run("ImportThroughClusterConfig", func(t *testing.T) {
				imported(t, env.Client, r, p, ns, cpc)
			})
		})
	}
	if planters < 3 {
		t.Fatalf("want vSphere, Azure and GCP to plant machines, %d do", planters)
	}
}

// setUpCluster makes a ClusterProviderConfig for the rig, reading its
// credentials from the Secret setUp made in ns.
func setUpCluster(t *testing.T, c client.Client, rig machinetest.Rig, ns string) string {
	t.Helper()
	spec := rig.ProviderConfig()
	if rig.Credentials() != nil {
		spec.Credentials = &apisv1alpha1.ProviderCredentials{
			Source: xpv2.CredentialsSourceSecret,
			CommonCredentialSelectors: xpv2.CommonCredentialSelectors{SecretRef: &xpv2.SecretKeySelector{
				SecretReference: xpv2.SecretReference{Namespace: ns, Name: credentialsSecret}, Key: "credentials",
			}},
		}
	}
	name := ns + "-platform"
	must(t, c.Create(context.Background(), &apisv1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}))
	return name
}

// refusedAndLeft plants a machine of vm's name carrying owner (none when
// nil), and shows that vm is refused with want, that nothing of the
// machine reaches vm's status, and that deleting vm leaves the machine as
// it was. (A delete that finds a machine no longer the resource's after it
// was Ready, which leaves it with a Warning event, is shown on the local
// backend in internal/controller/virtualmachine.)
func refusedAndLeft(t *testing.T, c client.Client, r rig, p machinetest.Planter, vm *v1alpha1.VirtualMachine, owner *ownership.Owner, want string) {
	name := vm.Name
	must(t, p.Plant(name, owner))
	before := settled(t, p, name)

	must(t, c.Create(context.Background(), vm))
	msg := waitSyncedFalse(t, c, vm, want)
	t.Logf("refused: %s", msg)
	got := &v1alpha1.VirtualMachine{}
	must(t, c.Get(context.Background(), client.ObjectKeyFromObject(vm), got))
	if got.Status.AtProvider.ID != "" || got.Status.AtProvider.Address != "" {
		t.Errorf("status.atProvider shows the machine it was refused: %+v", got.Status.AtProvider)
	}
	if rd := got.GetCondition(xpv2.TypeReady); rd.Status == corev1.ConditionTrue {
		t.Errorf("a refused VirtualMachine is Ready: %+v", rd)
	}
	unchanged(t, p, name, before, owner)

	// A refused resource never got a finalizer (Observe never succeeded),
	// so it goes at once; the provider has nothing to leave behind.
	must(t, c.Delete(context.Background(), got))
	waitGone(t, c, got)
	unchanged(t, p, name, before, owner)
}

// imported: an import through a ClusterProviderConfig adopts an unmarked
// machine and marks it; the adopted machine is then the resource's, and
// goes with it.
func imported(t *testing.T, c client.Client, r rig, p machinetest.Planter, ns, cpc string) {
	const name = "imported"
	must(t, p.Plant(name, nil))
	settled(t, p, name)
	vm := newVM(r, ns, name)
	vm.SetAnnotations(map[string]string{ownership.ImportAnnotation: "true"})
	vm.Spec.ProviderConfigReference = &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ClusterProviderConfigKind, Name: cpc}
	must(t, c.Create(context.Background(), vm))
	wait.For(t, timeout, name+" marked as the VirtualMachine's", func() (bool, string) {
		o, err := p.OwnerOf(name)
		if err != nil {
			return false, err.Error()
		}
		if o == nil {
			return false, "no marker"
		}
		return *o == ownership.Of(vm), "marked " + o.String()
	})
	if n := count(t, r.rig, name); n != 1 {
		t.Errorf("machines named %s after the import: %d, want 1", name, n)
	}
	must(t, c.Delete(context.Background(), vm))
	waitGone(t, c, vm)
	if n := count(t, r.rig, name); n != 0 {
		t.Errorf("machines named %s after deleting the resource that imported it: %d, want 0", name, n)
	}
}

// settled waits until the planted machine is readable, and returns it.
func settled(t *testing.T, p machinetest.Planter, name string) *machine.Machine {
	t.Helper()
	var m *machine.Machine
	wait.For(t, timeout, name+" planted", func() (bool, string) {
		var err error
		if m, err = p.Get(name); err != nil {
			return false, err.Error()
		}
		return m != nil, "not there yet"
	})
	return m
}

// unchanged checks that the machine is still there as it was planted,
// with the marker it was planted with.
func unchanged(t *testing.T, p machinetest.Planter, name string, before *machine.Machine, owner *ownership.Owner) {
	t.Helper()
	if n, err := p.Machines(name); err != nil || n != 1 {
		t.Fatalf("machines named %s: %d (%v), want the planted one", name, n, err)
	}
	m, err := p.Get(name)
	must(t, err)
	if m == nil || m.ID != before.ID || m.CPU != before.CPU || m.MemoryMiB != before.MemoryMiB || !disksAre(m.Disks, diskMap(before.Disks)) {
		t.Errorf("%s changed: before %s (%s), now %s", name, diskString(before), before.ID, diskString(m))
	}
	got, err := p.OwnerOf(name)
	must(t, err)
	if (got == nil) != (owner == nil) || (got != nil && *got != *owner) {
		t.Errorf("%s's marker: %v, want %v", name, got, owner)
	}
}

func diskMap(ds []machine.Disk) map[string]int32 {
	out := map[string]int32{}
	for _, d := range ds {
		out[d.Name] = d.SizeGiB
	}
	return out
}
