package virtualmachine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

const timeout = 60 * time.Second

func startManager(t *testing.T, env *testenv.Env, localDir string) {
	t.Helper()
	env.StartManager(t, testenv.ManagerConfig{Setups: []testenv.Setup{config.Setup, Setup}, LocalDir: localDir})
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ok, msg := cond()
		if ok {
			return
		}
		last = msg
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: not reached within %s; last: %s", what, timeout, last)
}

func TestVirtualMachineLifecycle(t *testing.T) {
	ctx := context.Background()
	env := testenv.Start(t)
	c := env.Client
	base := testenv.SharedDir(t)
	t.Cleanup(func() { _ = local.StopAll(context.Background(), base) })
	startManager(t, env, filepath.Join(base, "default-dir"))

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "vm-test"}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	pc := &apisv1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "local"},
		Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal,
			Local: &apisv1alpha1.LocalBackendConfig{BaseDir: filepath.Join(base, "machines"), PortRangeStart: 24000, PortRangeEnd: 24999}},
	}
	if err := c.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	vm := &v1alpha1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "vm1"},
		Spec: v1alpha1.VirtualMachineSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: "local"}},
			ForProvider: v1alpha1.VirtualMachineParameters{CPU: 2, MemoryMiB: 1024,
				Disks: []v1alpha1.Disk{{Name: "data", SizeGiB: 10}}, Local: &v1alpha1.LocalMachineParameters{Ports: 5}},
		},
	}
	if err := c.Create(ctx, vm); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(vm)
	wantDir := filepath.Join(base, "machines", ns.Name, "vm1")

	got := &v1alpha1.VirtualMachine{}
	eventually(t, "VirtualMachine Ready", func() (bool, string) {
		if err := c.Get(ctx, key, got); err != nil {
			return false, err.Error()
		}
		return got.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue, got.GetCondition(xpv2.TypeSynced).Message
	})
	ap := got.Status.AtProvider
	if ap.Address != "127.0.0.1" || ap.PowerState != v1alpha1.PowerOn || ap.WorkDir != wantDir || ap.ID == "" ||
		ap.PortRangeStart < 24000 || ap.PortRangeEnd != ap.PortRangeStart+4 {
		t.Errorf("status.atProvider: want 127.0.0.1, On, %s, a 5-port block from 24000, got %+v", wantDir, ap)
	}
	if _, err := os.Stat(filepath.Join(wantDir, "machine.json")); err != nil {
		t.Errorf("machine.json: %v", err)
	}

	// The usage controller counts the machine as a user of its config.
	eventually(t, "ProviderConfig in use", func() (bool, string) {
		got := &apisv1alpha1.ProviderConfig{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(pc), got); err != nil {
			return false, err.Error()
		}
		return got.Status.Users == 1, "users not counted"
	})

	// Drift in CPU is applied.
	update(t, c, key, got, func(vm *v1alpha1.VirtualMachine) { vm.Spec.ForProvider.CPU = 4 })
	b := local.New(filepath.Join(base, "machines"), 24000, 24999)
	id := local.MachineID{Namespace: ns.Name, Name: "vm1"}
	eventually(t, "CPU updated on the machine", func() (bool, string) {
		m, err := b.Observe(ctx, id)
		if err != nil || m == nil {
			return false, "no machine"
		}
		return m.CPU == 4, "cpu still old"
	})

	// Shrinking a disk is refused: Synced turns False and the disk keeps
	// its size.
	update(t, c, key, got, func(vm *v1alpha1.VirtualMachine) { vm.Spec.ForProvider.Disks[0].SizeGiB = 5 })
	eventually(t, "shrink refused", func() (bool, string) {
		if err := c.Get(ctx, key, got); err != nil {
			return false, err.Error()
		}
		s := got.GetCondition(xpv2.TypeSynced)
		return s.Status == corev1.ConditionFalse, s.Message
	})
	m, err := b.Observe(ctx, id)
	if err != nil || m == nil || len(m.Disks) != 1 || m.Disks[0].SizeGiB != 10 {
		t.Errorf("after a refused shrink: want disk data of 10 GiB, got %+v (err %v)", m, err)
	}

	if err := c.Delete(ctx, got); err != nil {
		t.Fatal(err)
	}
	eventually(t, "machine dir removed", func() (bool, string) {
		_, err := os.Stat(wantDir)
		return os.IsNotExist(err), "dir still there"
	})
	eventually(t, "VirtualMachine gone", func() (bool, string) {
		err := c.Get(ctx, key, got)
		return kerrors.IsNotFound(err), "still there"
	})
}

// update applies mod to the latest vm, again when the controller wrote in
// between (a conflict is a reason to retry, not a failure).
func update(t *testing.T, c client.Client, key client.ObjectKey, vm *v1alpha1.VirtualMachine, mod func(*v1alpha1.VirtualMachine)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(context.Background(), key, vm); err != nil {
			return err
		}
		mod(vm)
		return c.Update(context.Background(), vm)
	})
	if err != nil {
		t.Fatal(err)
	}
}
