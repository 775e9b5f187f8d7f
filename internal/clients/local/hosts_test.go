package local

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/hostnet"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
	"github.com/dbaas-io/dbaas/internal/testing/testhost"
)

// TestHostsSurviveRestart checks a host with a network of its own across a
// provider restart, played by a second backend built from the same config:
// the machine is found, not made again, with its address; an sshd that
// ended is started again by Observe with the host key it had; without the
// provider's key a host cannot be started, yet it can be deleted, and
// delete leaves no namespace or link.
func TestHostsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	n := testhost.NewNetwork(t)
	base := t.TempDir()
	t.Cleanup(func() {
		if err := RemoveHosts(context.Background(), base); err != nil {
			t.Errorf("cannot remove the hosts: %v", err)
		}
	})
	signer, err := ssh.ParsePrivateKey(sshtest.GenerateKeyPEM(t))
	if err != nil {
		t.Fatal(err)
	}
	pc := &apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, Local: &apisv1alpha1.LocalBackendConfig{
		BaseDir: base, PortRangeStart: 27000, PortRangeEnd: 27999,
		Network: &apisv1alpha1.LocalNetwork{CIDR: n.Subnet().String(), Bridge: n.Bridge()}}}
	backend := func() *Backend {
		b, err := FromConfig(pc, "")
		if err != nil {
			t.Fatal(err)
		}
		b.SetHostLogin(ssh.MarshalAuthorizedKey(signer.PublicKey()), 0)
		return b
	}
	id := machine.ID{Namespace: "team-a", Name: "host"}
	spec := machine.Spec{CPU: 1, MemoryMiB: 512}

	m, err := backend().Create(ctx, id, spec)
	if err != nil {
		t.Fatal(err)
	}
	r, err := readMachine(m.WorkDir)
	if err != nil || r == nil {
		t.Fatalf("machine.json: %+v, %v", r, err)
	}
	sshd := (&network{sshPort: defaultSSHPort}).sshd(r)
	pid, ok := sshd.Running(r.Netns)
	if !ok {
		t.Fatal("the host's sshd does not run after Create")
	}
	hostKey, err := sshd.HostKey()
	if err != nil {
		t.Fatal(err)
	}

	// The restarted provider finds the machine as it was.
	b := backend()
	again, err := b.Create(ctx, id, spec)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != m.ID || again.Address != m.Address {
		t.Errorf("Create after a restart: got %s at %s, want the machine made before, %s at %s", again.ID, again.Address, m.ID, m.Address)
	}
	if now, ok := sshd.Running(r.Netns); !ok || now != pid {
		t.Errorf("Create after a restart replaced sshd %d with %d (running %t)", pid, now, ok)
	}

	// An sshd that ended is started again by Observe, with the same key.
	p, err := os.FindProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	// SIGKILL takes effect a moment later, and the process stays a zombie
	// until PID 1 reaps it.
	deadline := time.Now().Add(hostnet.WaitDeadline)
	for hostnet.InNamespace(pid, r.Netns) {
		if time.Now().After(deadline) {
			t.Fatalf("sshd %d still runs %s after SIGKILL", pid, hostnet.WaitDeadline)
		}
		time.Sleep(20 * time.Millisecond)
	}
	o, err := b.Observe(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if o.Address != m.Address {
		t.Errorf("Observe: address %s, want %s", o.Address, m.Address)
	}
	if now, ok := sshd.Running(r.Netns); !ok || now == pid {
		t.Errorf("after Observe, sshd runs %t as %d; want a new one", ok, now)
	}
	if k, err := sshd.HostKey(); err != nil || k != hostKey {
		t.Errorf("after Observe, the host key is %q (%v); want %q", k, err, hostKey)
	}

	// Without the provider's key a host cannot be started again, and the
	// error says why; delete needs no key.
	if err := hostnet.KillNamespace(ctx, r.Netns); err != nil {
		t.Fatal(err)
	}
	noKey := backend()
	noKey.SetHostLoginError(errors.New("no key here"))
	if _, err := noKey.Observe(ctx, id); err == nil || !strings.Contains(err.Error(), "no key here") {
		t.Errorf("Observe of a host whose sshd ended, without the key: got %v, want the key's error", err)
	}
	if err := noKey.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/run/netns/" + r.Netns, "/sys/class/net/" + r.Netns, m.WorkDir} {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("after Delete, %s is left (%v)", path, err)
		}
	}
}
