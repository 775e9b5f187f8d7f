package virtualmachine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backend"
	"github.com/dbaas-io/dbaas/internal/clients/cloudinit"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

const timeout = 60 * time.Second

func startManager(t *testing.T, env *testenv.Env, localDir string) {
	t.Helper()
	env.StartManager(t, testenv.ManagerConfig{Setups: []testenv.Setup{config.Setup, Setup}, LocalDir: localDir})
}

func TestVirtualMachineLifecycle(t *testing.T) {
	ctx := context.Background()
	env := testenv.Start(t)
	c := env.Client
	base := testenv.SharedDir(t)
	t.Cleanup(func() { _ = local.StopAll(context.Background(), base) })
	// A namespaced ProviderConfig cannot choose where the provider writes:
	// its machines go to the provider's own directory.
	startManager(t, env, filepath.Join(base, "machines"))

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "vm-test"}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	pc := &apisv1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "local"},
		Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal,
			Local: &apisv1alpha1.LocalBackendConfig{PortRangeStart: 24000, PortRangeEnd: 24999}},
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
	wait.For(t, timeout, "VirtualMachine Ready", func() (bool, string) {
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
	wait.For(t, timeout, "ProviderConfig in use", func() (bool, string) {
		got := &apisv1alpha1.ProviderConfig{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(pc), got); err != nil {
			return false, err.Error()
		}
		return got.Status.Users == 1, "users not counted"
	})

	// Drift in CPU is applied.
	update(t, c, key, got, func(vm *v1alpha1.VirtualMachine) { vm.Spec.ForProvider.CPU = 4 })
	b := local.New(filepath.Join(base, "machines"), 24000, 24999)
	id := machine.ID{Namespace: ns.Name, Name: "vm1"}
	wait.For(t, timeout, "CPU updated on the machine", func() (bool, string) {
		m, err := b.Observe(ctx, id)
		if err != nil || m == nil {
			return false, "no machine"
		}
		return m.CPU == 4, "cpu still old"
	})

	// Shrinking a disk is refused: Synced turns False and the disk keeps
	// its size.
	update(t, c, key, got, func(vm *v1alpha1.VirtualMachine) { vm.Spec.ForProvider.Disks[0].SizeGiB = 5 })
	wait.For(t, timeout, "shrink refused", func() (bool, string) {
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
	wait.For(t, timeout, "machine dir removed", func() (bool, string) {
		_, err := os.Stat(wantDir)
		return os.IsNotExist(err), "dir still there"
	})
	wait.For(t, timeout, "VirtualMachine gone", func() (bool, string) {
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

// recorder keeps the specs the controller hands its backends.
type recorder struct {
	mu      sync.Mutex
	created map[string]machine.Spec
	updated map[string]int
}

func (r *recorder) wrap(b machine.Backend) machine.Backend { return &recording{Backend: b, r: r} }

func (r *recorder) get(name string) (machine.Spec, int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.created[name]
	return s, r.updated[name], ok
}

// recording is a real backend that tells its recorder what it was asked.
type recording struct {
	machine.Backend
	r *recorder
}

func (b *recording) Create(ctx context.Context, id machine.ID, s machine.Spec) (*machine.Machine, error) {
	b.r.mu.Lock()
	b.r.created[id.Name] = s
	b.r.mu.Unlock()
	return b.Backend.Create(ctx, id, s)
}

func (b *recording) Update(ctx context.Context, id machine.ID, s machine.Spec) (*machine.Machine, error) {
	b.r.mu.Lock()
	b.r.updated[id.Name]++
	b.r.mu.Unlock()
	return b.Backend.Update(ctx, id, s)
}

// TestVirtualMachineSSHUser checks that a provider config with an ssh block
// puts its public key on the machines it makes, through cloud-init, and
// that a missing key Secret says so in Synced.
func TestVirtualMachineSSHUser(t *testing.T) {
	ctx := context.Background()
	env := testenv.Start(t)
	c := env.Client
	base := testenv.SharedDir(t)
	t.Cleanup(func() { _ = local.StopAll(context.Background(), base) })
	rec := &recorder{created: map[string]machine.Spec{}, updated: map[string]int{}}
	env.StartManager(t, testenv.ManagerConfig{
		Setups:   []testenv.Setup{config.Setup, Setup},
		LocalDir: filepath.Join(base, "machines"),
		Machines: backend.Options{Wrap: rec.wrap},
	})

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "vm-ssh"}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	keyPEM := sshtest.GenerateKeyPEM(t)
	signer, err := ssh.ParsePrivateKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pub := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "ssh-key"},
		Data:       map[string][]byte{"id_ed25519": keyPEM},
	}
	if err := c.Create(ctx, sec); err != nil {
		t.Fatal(err)
	}
	localCfg := &apisv1alpha1.LocalBackendConfig{PortRangeStart: 25000, PortRangeEnd: 25999}
	for name, secret := range map[string]string{"ssh": "ssh-key", "no-key": "absent"} {
		pc := &apisv1alpha1.ProviderConfig{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: name},
			Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, Local: localCfg,
				SSH: &apisv1alpha1.SSHConfig{PrivateKeySecretRef: xpv2.SecretKeySelector{
					SecretReference: xpv2.SecretReference{Namespace: ns.Name, Name: secret}, Key: "id_ed25519"}}},
		}
		if err := c.Create(ctx, pc); err != nil {
			t.Fatal(err)
		}
	}
	newVM := func(name, pc string, p v1alpha1.VirtualMachineParameters) *v1alpha1.VirtualMachine {
		p.CPU, p.MemoryMiB, p.Local = 1, 512, &v1alpha1.LocalMachineParameters{Ports: 1}
		vm := &v1alpha1.VirtualMachine{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: name},
			Spec: v1alpha1.VirtualMachineSpec{
				ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: pc}},
				ForProvider:         p,
			},
		}
		if err := c.Create(ctx, vm); err != nil {
			t.Fatal(err)
		}
		return vm
	}
	script := "#!/bin/sh\necho hi\n"
	vms := map[string]*v1alpha1.VirtualMachine{
		"script":  newVM("script", "ssh", v1alpha1.VirtualMachineParameters{UserData: script}),
		"own-key": newVM("own-key", "ssh", v1alpha1.VirtualMachineParameters{SSHPublicKey: "ssh-rsa AAAAown me@example"}),
	}
	orphan := newVM("orphan", "no-key", v1alpha1.VirtualMachineParameters{})

	for name, vm := range vms {
		key := client.ObjectKeyFromObject(vm)
		wait.For(t, timeout, name+" Ready", func() (bool, string) {
			got := &v1alpha1.VirtualMachine{}
			if err := c.Get(ctx, key, got); err != nil {
				return false, err.Error()
			}
			return got.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue, got.GetCondition(xpv2.TypeSynced).Message
		})
	}

	// A machine without a key of its own gets the provider's as its key
	// and through cloud-init, beside its script.
	s, _, ok := rec.get("script")
	if !ok {
		t.Fatal("script: the backend was not asked to create it")
	}
	if s.SSHPublicKey != pub {
		t.Errorf("script: SSHPublicKey: want the provider's %q, got %q", pub, s.SSHPublicKey)
	}
	for _, want := range []string{"Content-Type: text/cloud-config", "name: dbaas", "- " + pub, "sudo: ALL=(ALL) NOPASSWD:ALL",
		"Content-Type: text/x-shellscript", script} {
		if !strings.Contains(s.UserData, want) {
			t.Errorf("script: user data has no %q:\n%s", want, s.UserData)
		}
	}
	if want, _ := cloudinit.WithUser(script, cloudinit.User{Name: "dbaas", AuthorizedKey: pub}); s.UserData != want {
		t.Errorf("script: user data: want\n%s\ngot\n%s", want, s.UserData)
	}

	// A machine with a key of its own keeps it; the provider's arrives
	// through cloud-init.
	s, _, ok = rec.get("own-key")
	if !ok {
		t.Fatal("own-key: the backend was not asked to create it")
	}
	if s.SSHPublicKey != "ssh-rsa AAAAown me@example" {
		t.Errorf("own-key: SSHPublicKey: want its own, got %q", s.SSHPublicKey)
	}
	if !strings.HasPrefix(s.UserData, "#cloud-config\n") || !strings.Contains(s.UserData, "name: dbaas") || !strings.Contains(s.UserData, "- "+pub) {
		t.Errorf("own-key: user data: want a cloud-config with user dbaas and key %q, got\n%s", pub, s.UserData)
	}

	// A missing key Secret stops the machine before it is made, and Synced
	// names the Secret.
	wait.For(t, timeout, "orphan Synced=False naming the Secret", func() (bool, string) {
		got := &v1alpha1.VirtualMachine{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(orphan), got); err != nil {
			return false, err.Error()
		}
		sc := got.GetCondition(xpv2.TypeSynced)
		return sc.Status == corev1.ConditionFalse &&
			strings.Contains(sc.Message, "cannot read the SSH private key from Secret vm-ssh/absent key id_ed25519"), sc.Message
	})
	if _, _, ok := rec.get("orphan"); ok {
		t.Error("orphan: the backend was asked to create a machine without the provider's key")
	}

	// The user data is not compared with the machine: polls at rest send
	// no update.
	time.Sleep(3 * time.Second)
	for name := range vms {
		if _, n, _ := rec.get(name); n != 0 {
			t.Errorf("%s: %d updates at rest, want none", name, n)
		}
	}

	// A machine being deleted is not held up by its key: deleting the
	// Secret first does not stop the deletion.
	if err := c.Delete(ctx, sec); err != nil {
		t.Fatal(err)
	}
	for name, vm := range vms {
		if err := c.Delete(ctx, vm); err != nil {
			t.Fatal(err)
		}
		key := client.ObjectKeyFromObject(vm)
		wait.For(t, timeout, name+" gone", func() (bool, string) {
			err := c.Get(ctx, key, &v1alpha1.VirtualMachine{})
			return kerrors.IsNotFound(err), "still there"
		})
	}
}
