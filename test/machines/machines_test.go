package machines

import (
	"context"
	"fmt"
	"strings"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backend"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/firewallrule"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// TestMachines runs the same story on every backend, each in a namespace
// of its own, the backends side by side under one provider.
func TestMachines(t *testing.T) {
	t.Parallel()
	env := testenv.Shared(t)
	rigs := startRigs(t)
	var o backend.Options
	for _, r := range rigs {
		r.wire(&o)
	}
	// A manager on the shared API server sees the namespaces made before
	// it started: each rig's is made here, not in its subtest.
	for _, r := range rigs {
		setUp(t, env.Client, r.rig, "machines-"+r.name)
	}
	env.StartManager(t, testenv.ManagerConfig{Setups: []testenv.Setup{config.Setup, virtualmachine.Setup, firewallrule.Setup}, Machines: o, Concurrency: 4})

	for _, r := range rigs {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			ns := "machines-" + r.name
			t.Run("Lifecycle", func(t *testing.T) { lifecycle(t, env, r, ns) })
			if r.failRun == nil {
				t.Run("MissingImage", func(t *testing.T) { missingImage(t, env, r, ns) })
			} else {
				t.Run("FailedRun", func(t *testing.T) { failedRun(t, env, r, ns) })
			}
			t.Run("Throttled", func(t *testing.T) {
				transient(t, env, r, ns, "throttled", r.rig.Throttle, "is throttling requests (429); retrying with back-off")
			})
			if r.refuse != nil {
				t.Run("Refused", func(t *testing.T) { refused(t, env, r, ns) })
			}
			t.Run("Unavailable", func(t *testing.T) {
				transient(t, env, r, ns, "unavailable", r.rig.Unavailable, "503 Service Unavailable; retrying with back-off")
			})
			if r.guestAddress != nil {
				t.Run("GuestWithoutAddress", func(t *testing.T) { guestWithoutAddress(t, env, r, ns) })
			}
			t.Run("Orphan", func(t *testing.T) { orphan(t, env, r, ns) })
			if r.rules {
				t.Run("FirewallRule", func(t *testing.T) { firewallRule(t, env, r, ns) })
			}
		})
	}
}

// lifecycle: create, drift corrected, resize, disk growth, a refused
// shrink, delete.
func lifecycle(t *testing.T, env *testenv.Env, r rig, ns string) {
	c := env.Client
	vm := newVM(r, ns, "db-1")
	must(t, c.Create(context.Background(), vm))
	got := waitReady(t, c, vm)
	if ap := got.Status.AtProvider; ap.Address == "" || ap.ID == "" || ap.CPU != 2 || ap.MemoryMiB != 4096 || ap.PowerState != v1alpha1.PowerOn {
		t.Errorf("status.atProvider: want an address, an ID, 2 CPUs, 4096 MiB, On; got %+v", ap)
	}
	if n := count(t, r.rig, "db-1"); n != 1 {
		t.Fatalf("machines named db-1 after create: %d, want 1", n)
	}

	// Someone shrinks the machine in the backend's console: the provider
	// puts it back.
	must(t, r.rig.Drift("db-1", 1, 2048))
	wait.For(t, timeout, "drift corrected", func() (bool, string) {
		m, err := r.rig.Get("db-1")
		if err != nil || m == nil {
			return false, "cannot read the machine"
		}
		return m.CPU == 2 && m.MemoryMiB == 4096, diskString(m) + "; " + resourceConditions(c, vm)
	})

	// Resize: more CPU and memory, a bigger data disk and a new one.
	update(t, c, got, func(vm *v1alpha1.VirtualMachine) {
		vm.Spec.ForProvider.CPU, vm.Spec.ForProvider.MemoryMiB = 4, 8192
		vm.Spec.ForProvider.Disks = []v1alpha1.Disk{{Name: "data", SizeGiB: 20}, {Name: "wal", SizeGiB: 5}}
	})
	wait.For(t, timeout, "resized", func() (bool, string) {
		m, err := r.rig.Get("db-1")
		if err != nil || m == nil {
			return false, "cannot read the machine"
		}
		return m.CPU == 4 && m.MemoryMiB >= 8192 && disksAre(m.Disks, map[string]int32{"data": 20, "wal": 5}), diskString(m) + "; " + resourceConditions(c, vm)
	})
	waitReady(t, c, got)

	// Shrinking a disk is refused and changes nothing.
	update(t, c, got, func(vm *v1alpha1.VirtualMachine) { vm.Spec.ForProvider.Disks[0].SizeGiB = 15 })
	waitSyncedFalse(t, c, got, `disk "data" cannot shrink from 20 GiB to 15 GiB`)
	if m, err := r.rig.Get("db-1"); err != nil || m == nil || !disksAre(m.Disks, map[string]int32{"data": 20, "wal": 5}) {
		t.Errorf("after a refused shrink: want data 20 GiB and wal 5 GiB, got %v (err %v)", diskString(m), err)
	}
	update(t, c, got, func(vm *v1alpha1.VirtualMachine) { vm.Spec.ForProvider.Disks[0].SizeGiB = 20 })
	waitReady(t, c, got)

	must(t, c.Delete(context.Background(), got))
	waitGone(t, c, got)
	if n := count(t, r.rig, "db-1"); n != 0 {
		t.Errorf("machines named db-1 after delete: %d, want 0", n)
	}
}

// guestWithoutAddress: a running machine whose guest reports no address
// is not Ready, and still takes a resize: the guest is not the backend's
// work in progress, and a guest may never report one.
func guestWithoutAddress(t *testing.T, env *testenv.Env, r rig, ns string) {
	c := env.Client
	vm := newVM(r, ns, "no-address")
	must(t, c.Create(context.Background(), vm))
	got := waitReady(t, c, vm)
	must(t, r.guestAddress("no-address", ""))
	wait.For(t, timeout, "not Ready while the guest reports no address", func() (bool, string) {
		must(t, c.Get(context.Background(), client.ObjectKeyFromObject(vm), got))
		rc := got.GetCondition(xpv2.TypeReady)
		return rc.Status == corev1.ConditionFalse && strings.Contains(rc.Message, "waiting for the guest's IP address"), conditions(got)
	})

	update(t, c, got, func(vm *v1alpha1.VirtualMachine) { vm.Spec.ForProvider.CPU = 4 })
	wait.For(t, timeout, "resized while the guest reports no address", func() (bool, string) {
		m, err := r.rig.Get("no-address")
		if err != nil || m == nil {
			return false, "cannot read the machine"
		}
		return m.CPU == 4, diskString(m) + "; " + resourceConditions(c, vm)
	})
	must(t, r.guestAddress("no-address", "192.0.2.50"))
	waitReady(t, c, got)
	must(t, c.Delete(context.Background(), got))
	waitGone(t, c, got)
}

// missingImage: the condition names what is missing.
func missingImage(t *testing.T, env *testenv.Env, r rig, ns string) {
	c := env.Client
	vm := newVM(r, ns, "bad-image")
	missing := "no-such-image"
	if r.missingImage != "" {
		missing = r.missingImage
	}
	vm.Spec.ForProvider.Image = missing
	must(t, c.Create(context.Background(), vm))
	msg := waitSyncedFalse(t, c, vm, missing)
	t.Logf("missing image: %s", msg)
	must(t, c.Delete(context.Background(), vm))
	waitGone(t, c, vm)
	if n := count(t, r.rig, "bad-image"); n != 0 {
		t.Errorf("machines named bad-image: %d, want 0", n)
	}
}

// refused: a wrong datacenter or a size over quota is the condition's
// message, and nothing is left behind.
func refused(t *testing.T, env *testenv.Env, r rig, ns string) {
	c := env.Client
	vm := newVM(r, ns, "refused")
	want := r.refuse(&vm.Spec.ForProvider)
	must(t, c.Create(context.Background(), vm))
	msg := waitSyncedFalse(t, c, vm, want)
	t.Logf("refused: %s", msg)
	must(t, c.Delete(context.Background(), vm))
	waitGone(t, c, vm)
	if n := count(t, r.rig, "refused"); n != 0 {
		t.Errorf("machines named refused: %d, want 0", n)
	}
}

// failedRun: work the backend failed is the condition's message, and the
// machine can still be deleted.
func failedRun(t *testing.T, env *testenv.Env, r rig, ns string) {
	c := env.Client
	vm := newVM(r, ns, "failed-run")
	r.failRun()
	must(t, c.Create(context.Background(), vm))
	msg := waitSyncedFalse(t, c, vm, "errored")
	t.Logf("failed run: %s", msg)
	must(t, c.Delete(context.Background(), vm))
	waitGone(t, c, vm)
	if n := count(t, r.rig, "failed-run"); n != 0 {
		t.Errorf("machines named failed-run: %d, want 0", n)
	}
}

// transient: the backend answers 429 or 503 for a while; the provider says
// so, backs off, and ends with exactly one machine.
func transient(t *testing.T, env *testenv.Env, r rig, ns, name string, inject func(n int), want string) {
	c := env.Client
	vm := newVM(r, ns, name)
	inject(3)
	must(t, c.Create(context.Background(), vm))
	warned(t, c, vm, want)
	got := waitReady(t, c, vm)
	if n := count(t, r.rig, name); n != 1 {
		t.Errorf("machines named %s after the backend recovered: %d, want exactly 1", name, n)
	}
	must(t, c.Delete(context.Background(), got))
	waitGone(t, c, got)
}

// orphan: management policies without Delete leave the machine behind.
func orphan(t *testing.T, env *testenv.Env, r rig, ns string) {
	c := env.Client
	vm := newVM(r, ns, "orphan")
	vm.Spec.ManagementPolicies = xpv2.ManagementPolicies{xpv2.ManagementActionObserve, xpv2.ManagementActionCreate, xpv2.ManagementActionUpdate, xpv2.ManagementActionLateInitialize}
	must(t, c.Create(context.Background(), vm))
	got := waitReady(t, c, vm)
	must(t, c.Delete(context.Background(), got))
	waitGone(t, c, got)
	if n := count(t, r.rig, "orphan"); n != 1 {
		t.Errorf("machines named orphan after deleting its orphaning resource: %d, want 1", n)
	}
}

func disksAre(have []machine.Disk, want map[string]int32) bool {
	if len(have) != len(want) {
		return false
	}
	for _, d := range have {
		if want[d.Name] != d.SizeGiB {
			return false
		}
	}
	return true
}

func diskString(m *machine.Machine) string {
	if m == nil {
		return "no machine"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cpu %d, memory %d MiB, disks", m.CPU, m.MemoryMiB)
	for _, d := range m.Disks {
		fmt.Fprintf(&b, " %s=%dGiB", d.Name, d.SizeGiB)
	}
	return b.String()
}
