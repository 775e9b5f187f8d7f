package databaseinstance

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/engine/pgvm"
	"github.com/dbaas-io/dbaas/internal/testing/integration"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"

	ctrl "sigs.k8s.io/controller-runtime"
)

// Provider configs of the SSH tests, by what they do to the login.
const (
	pcGood      = "ssh"
	pcWrongKey  = "ssh-wrong-key"
	pcNoService = "ssh-unreachable"
)

// sshFixture is a namespace whose local machines the provider configures
// over a real SSH server on loopback, which runs the commands on this host.
type sshFixture struct {
	*fixture
	srv *sshtest.Server
}

func newSSHFixture(t *testing.T, env *testenv.Env, ns string) *sshFixture {
	t.Helper()
	ctx := context.Background()
	c := env.Client
	base := machinesBase(t, env, ns)
	start, end := portWindow(t)
	srv := sshtest.Start(t)
	for name, key := range map[string][]byte{"ssh-key": srv.ClientKeyPEM(), "other-key": sshtest.GenerateKeyPEM(t)} {
		if err := c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{"id": key}}); err != nil {
			t.Fatal(err)
		}
	}
	_, port, _ := net.SplitHostPort(srv.Addr())
	good, _ := strconv.Atoi(port)
	for name, s := range map[string]struct {
		port   int
		secret string
	}{
		pcGood:      {good, "ssh-key"},
		pcWrongKey:  {good, "other-key"},
		pcNoService: {closedPort(t), "ssh-key"},
	} {
		no := false
		if err := c.Create(ctx, &apisv1alpha1.ClusterProviderConfig{
			ObjectMeta: metav1.ObjectMeta{Name: ns + "-" + name},
			Spec: apisv1alpha1.ProviderConfigSpec{
				Backend: apisv1alpha1.BackendLocal,
				Local:   &apisv1alpha1.LocalBackendConfig{BaseDir: base, PortRangeStart: start, PortRangeEnd: end},
				SSH: &apisv1alpha1.SSHConfig{
					User: srv.User(), Port: int32(s.port),
					PrivateKeySecretRef: xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: ns, Name: s.secret}, Key: "id"},
					// The test server runs commands as this test, root.
					Sudo: &no,
				},
			},
		}); err != nil {
			t.Fatal(err)
		}
	}
	return &sshFixture{fixture: &fixture{env: env, ns: ns, base: base}, srv: srv}
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return port
}

// machine creates a VirtualMachine through provider config pc and waits
// until it is Ready.
func (f *sshFixture) machine(t *testing.T, name, pc string) *computev1alpha1.VirtualMachine {
	t.Helper()
	ctx := context.Background()
	vm := &computev1alpha1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name},
		Spec: computev1alpha1.VirtualMachineSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: pcRef(f.ns + "-" + pc)},
			ForProvider:         computev1alpha1.VirtualMachineParameters{CPU: 1, MemoryMiB: 512},
		},
	}
	if err := f.env.Client.Create(ctx, vm); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "VirtualMachine "+name+" Ready", func() (bool, string) {
		if err := f.env.Client.Get(ctx, client.ObjectKeyFromObject(vm), vm); err != nil {
			return false, err.Error()
		}
		return vm.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue, vm.GetCondition(xpv2.TypeSynced).Message
	})
	return vm
}

// sshInstance is a single PostgreSQL on vm through provider config pc.
func (f *sshFixture) sshInstance(t *testing.T, name, vm, pc string) *v1alpha1.DatabaseInstance {
	t.Helper()
	f.vm = &computev1alpha1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: vm}}
	di := f.instance(name, 30)
	di.Spec.ProviderConfigReference = pcRef(f.ns + "-" + pc)
	di.Spec.ForProvider.AdminUser = ""
	if err := f.env.Client.Create(context.Background(), di); err != nil {
		t.Fatal(err)
	}
	return di
}

// waitFailed waits until the instance is not Synced with a message holding
// every one of want, and its member's status names the failed step.
func (f *sshFixture) waitFailed(t *testing.T, di *v1alpha1.DatabaseInstance, step string, want ...string) {
	t.Helper()
	wait.For(t, timeout, "DatabaseInstance "+di.Name+" fails at "+step, func() (bool, string) {
		if err := f.env.Client.Get(context.Background(), client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		msg := di.GetCondition(xpv2.TypeSynced).Message
		if di.GetCondition(xpv2.TypeSynced).Status != corev1.ConditionFalse {
			return false, "Synced: " + string(di.GetCondition(xpv2.TypeSynced).Status)
		}
		for _, w := range append([]string{strconv.Quote(step)}, want...) {
			if !strings.Contains(msg, w) {
				return false, "message lacks " + w + ": " + msg
			}
		}
		ms := di.Status.AtProvider.Members
		if len(ms) != 1 || ms[0].Step != step || ms[0].StepState != v1alpha1.StepFailed || !strings.Contains(ms[0].StepError, want[0]) {
			return false, "members: " + memberSteps(ms)
		}
		return true, ""
	})
	t.Logf("Synced=False: %s", di.GetCondition(xpv2.TypeSynced).Message)
}

func memberSteps(ms []v1alpha1.Member) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.VirtualMachine+": "+m.Step+" "+m.StepState+" "+m.StepError)
	}
	return strings.Join(out, "; ")
}

func startSSHManager(t *testing.T, env *testenv.Env) {
	t.Helper()
	withHooks := func(mgr ctrl.Manager, o options.Options) error { return setup(mgr, o, hooks{}) }
	env.StartManager(t, testenv.ManagerConfig{
		Setups: []testenv.Setup{config.Setup, virtualmachine.Setup, withHooks},
		Log:    logr.Discard(),
		// A changed host key is noticed at the next poll.
		PollInterval: 2 * time.Second,
	})
}

// TestPlayOverSSH runs PostgreSQL on a local machine through the SSH path
// that VMs of every other backend take: the play of package pgvm over a
// real SSH connection, the host key pinned at first contact.
func TestPlayOverSSH(t *testing.T) {
	t.Parallel()
	needRoot(t)
	ctx := context.Background()
	env := testenv.Shared(t)
	c := env.Client
	f := newSSHFixture(t, env, "di-ssh")
	startSSHManager(t, env)

	vm := f.machine(t, "vm", pcGood)
	di := f.sshInstance(t, "pg", "vm", pcGood)
	f.waitReady(t, di)

	ap := di.Status.AtProvider
	if got, want := ap.SSHHostKeys["vm"], f.srv.HostKeyLine(); got != want {
		t.Errorf("pinned host key = %q, want the server's %q", got, want)
	}
	if ap.Endpoint != "127.0.0.1" || ap.Port != vm.Status.AtProvider.PortRangeStart || !strings.HasPrefix(ap.EngineVersion, "15.") ||
		len(ap.Members) != 1 || ap.Members[0].Step != stepPassword || ap.Members[0].StepState != v1alpha1.StepDone || !ap.Members[0].Running {
		t.Errorf("status.atProvider: unexpected %+v", ap)
	}
	if f.srv.Sessions() == 0 {
		t.Error("the SSH server ran no command")
	}
	conn := f.connect(t, di)
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)

	// A machine that presents another host key is not touched.
	f.srv.RotateHostKey(t)
	f.waitFailed(t, di, stepConnect, "host key", "changed", "clear the pinned host key")
	// Accepting the new key is removing the pinned one.
	if err := testenv.MutateStatus(ctx, c, di, func(di *v1alpha1.DatabaseInstance) { di.Status.AtProvider.SSHHostKeys = nil }); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "the new host key pinned and Synced again", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		return di.Status.AtProvider.SSHHostKeys["vm"] == f.srv.HostKeyLine() && di.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue,
			di.GetCondition(xpv2.TypeSynced).Message
	})
	conn = f.connect(t, di)
	var n int
	if err := conn.QueryRow(ctx, "SELECT n FROM kept").Scan(&n); err != nil || n != 1 {
		t.Errorf("the row written before the key changed: %d, %v", n, err)
	}
	_ = conn.Close(ctx)

	// Deleting stops the server and removes its data directory.
	data := sshDataDir(vm, f.ns, "pg")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		t.Fatalf("the data directory is not where the member code puts it: %v", err)
	}
	pids := []int{pgtest.OneServer(t, data)}
	if err := c.Delete(ctx, di); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "DatabaseInstance gone", func() (bool, string) {
		err := c.Get(ctx, client.ObjectKeyFromObject(di), di)
		return kerrors.IsNotFound(err), "still there"
	})
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("the data directory is still there: %v", err)
	}
	for _, pid := range pids {
		if local.Alive(pid) {
			t.Errorf("postmaster %d still runs", pid)
		}
	}
}

// TestPlayFaults shows that whatever stops the play, the condition names
// the step and its cause, and that once the cause is gone the same
// instance becomes Ready: nothing was left half done.
func TestPlayFaults(t *testing.T) {
	t.Parallel()
	needRoot(t)
	ctx := context.Background()
	env := testenv.Shared(t)
	f := newSSHFixture(t, env, "di-ssh-faults")
	startSSHManager(t, env)

	t.Run("WrongKey", func(t *testing.T) {
		f.machine(t, "wrong-key", pcWrongKey)
		di := f.sshInstance(t, "wrong-key", "wrong-key", pcWrongKey)
		f.waitFailed(t, di, stepConnect, "does not accept the private key")
	})

	t.Run("Unreachable", func(t *testing.T) {
		f.machine(t, "unreachable", pcNoService)
		di := f.sshInstance(t, "unreachable", "unreachable", pcNoService)
		f.waitFailed(t, di, stepConnect, "cannot connect over SSH to 127.0.0.1:", "connection refused")
	})

	t.Run("PackageInstallFails", func(t *testing.T) {
		// apt-get and dpkg-query stand-ins: the package is not installed,
		// and the mirror does not have it.
		bin := t.TempDir()
		writeScript(t, filepath.Join(bin, "dpkg-query"), "echo \"dpkg-query: no packages found matching $4\" >&2; exit 1")
		writeScript(t, filepath.Join(bin, "apt-get"), "echo 'E: Unable to locate package postgresql-15' >&2; exit 100")
		f.srv.SetEnv("PATH=" + bin + ":" + os.Getenv("PATH"))
		f.machine(t, "no-package", pcGood)
		di := f.sshInstance(t, "no-package", "no-package", pcGood)
		step := strings.ReplaceAll(pgvm.StepInstall, "%s", "15")
		f.waitFailed(t, di, step, "Unable to locate package postgresql-15")

		f.srv.SetEnv()
		f.waitReady(t, di)
	})

	t.Run("DiskFull", func(t *testing.T) {
		vm := f.machine(t, "full-disk", pcGood)
		// The machine's data disk: 12 MiB, less than initdb writes.
		disk := filepath.Join(vm.Status.AtProvider.WorkDir, "var/lib/postgresql")
		if err := os.MkdirAll(disk, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=12m,mode=0755", "tmpfs", disk).CombinedOutput(); err != nil {
			t.Fatalf("cannot mount a small file system to fill: %v: %s", err, out)
		}
		mounted := true
		unmount := func() {
			if mounted {
				if out, err := exec.Command("umount", disk).CombinedOutput(); err != nil {
					t.Errorf("cannot unmount %s: %v: %s", disk, err, out)
				}
				mounted = false
			}
		}
		t.Cleanup(func() {
			// Whatever runs from the disk must stop before it can go.
			_ = local.StopAll(context.Background(), disk)
			unmount()
		})
		di := f.sshInstance(t, "full-disk", "full-disk", pcGood)
		f.waitFailed(t, di, stepInitialise, "No space left on device")

		// The disk grows: initdb starts again from an empty directory.
		if out, err := exec.Command("mount", "-o", "remount,size=256m", disk).CombinedOutput(); err != nil {
			t.Fatalf("cannot grow the file system: %v: %s", err, out)
		}
		f.waitReady(t, di)
		if err := f.env.Client.Delete(ctx, di); err != nil {
			t.Fatal(err)
		}
		wait.For(t, timeout, "DatabaseInstance gone", func() (bool, string) {
			err := f.env.Client.Get(ctx, client.ObjectKeyFromObject(di), di)
			return kerrors.IsNotFound(err), "still there"
		})
	})
}

// sshDataDir is the data directory of instance name's member on a local
// machine reached over SSH (see sshMember).
func sshDataDir(vm *computev1alpha1.VirtualMachine, ns, name string) string {
	return filepath.Join(vm.Status.AtProvider.WorkDir, pgvm.DefaultMountPoint, sshEnginesDir, ns+"-"+name, "data")
}

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// needRoot marks tests that run PostgreSQL as its own user or mount file
// systems, which only root may do.
func needRoot(t *testing.T) {
	t.Helper()
	integration.Needs(t, "root, to run PostgreSQL as its own user and mount file systems")
	if os.Geteuid() != 0 {
		t.Fatal("this test runs PostgreSQL as its own user and mounts file systems: run it as root, as CI does")
	}
}
