package testhost_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/testing/testhost"
)

// run runs cmd on e and returns its standard output, failing the test when
// it does not exit 0.
func run(t *testing.T, e executor.Executor, cmd string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := e.Run(ctx, cmd, nil)
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("%s exited %d: %s", cmd, res.ExitCode, res.Stderr)
	}
	return res.Stdout
}

// TestHostsReachEachOther checks the network: the test process reaches
// every host's sshd over the bridge, and one host reaches another's,
// whose host key is the one the other host says it has.
func TestHostsReachEachOther(t *testing.T) {
	n := testhost.NewNetwork(t)
	a, b := n.Host(t, "a"), n.Host(t, "b")

	for _, h := range []*testhost.Host{a, b} {
		c, err := net.DialTimeout("tcp", h.SSHAddress(), time.Minute)
		if err != nil {
			t.Fatalf("the test process cannot reach host %s at %s: %v", h.Name(), h.SSHAddress(), err)
		}
		_ = c.Close()
	}

	out := run(t, a.Executor(t), executor.ShellCommand("ssh-keyscan", "-T", "60", "-t", "ed25519", b.Address().String()))
	want := b.Address().String() + " " + b.HostKey()
	if !strings.Contains(out, want) {
		t.Errorf("ssh-keyscan of host b from host a printed %q, want a line %q", out, want)
	}
}

// TestCommandsRunInsideTheHost checks that a command over SSH sees the
// host's network only: its loopback and its address on the bridge.
func TestCommandsRunInsideTheHost(t *testing.T) {
	n := testhost.NewNetwork(t)
	h := n.Host(t, "inside")

	got := map[string]string{}
	for line := range strings.Lines(run(t, h.Executor(t), "ip -o -4 addr")) {
		f := strings.Fields(line)
		if len(f) < 4 {
			t.Fatalf("cannot read ip -o -4 addr's line %q", line)
		}
		got[f[1]] = f[3]
	}
	want := map[string]string{"lo": "127.0.0.1/8", "eth0": h.Address().String() + "/24"}
	if len(got) != len(want) || got["lo"] != want["lo"] || got["eth0"] != want["eth0"] {
		t.Errorf("inside the host, ip -o -4 addr shows %v, want only %v", got, want)
	}
}

// TestSudoLoginUser checks the default path on VMs: the login user is not
// root, and Executor runs commands as root through sudo.
func TestSudoLoginUser(t *testing.T) {
	n := testhost.NewNetwork(t)
	h := n.Host(t, "sudo", testhost.WithSudoUser())
	if h.User() == "root" {
		t.Fatal("WithSudoUser: the login user is root")
	}
	if got := strings.TrimSpace(run(t, h.Executor(t), "id -un")); got != "root" {
		t.Errorf("with sudo, commands run as %q, want root", got)
	}

	cfg := h.Config()
	cfg.Sudo = false
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, _, err := executor.DialSSH(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	if got := strings.TrimSpace(run(t, e, "id -un")); got != h.User() {
		t.Errorf("without sudo, commands run as %q, want the login user %s", got, h.User())
	}
}

// TestChangedHostKey checks the host-key-changed fault: after
// ChangeHostKey, dialling with the old pinned key returns a
// *HostKeyChangedError naming the host, the new key is accepted, and a
// connection opened before the change still works.
func TestChangedHostKey(t *testing.T) {
	n := testhost.NewNetwork(t)
	h := n.Host(t, "rebuilt")
	before := h.Executor(t)
	old := h.Config()

	h.ChangeHostKey(t)
	if h.HostKey() == old.KnownHostKey {
		t.Fatal("ChangeHostKey kept the host key")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, _, err := executor.DialSSH(ctx, old)
	if err == nil {
		_ = e.Close()
		t.Fatal("dialling with the old pinned host key succeeded; want a HostKeyChangedError")
	}
	var changed *executor.HostKeyChangedError
	if !errors.As(err, &changed) {
		t.Fatalf("dialling with the old pinned host key: got %v, want a *executor.HostKeyChangedError", err)
	}
	if changed.Address != h.SSHAddress() {
		t.Errorf("HostKeyChangedError.Address: got %q, want %q", changed.Address, h.SSHAddress())
	}

	run(t, h.Executor(t), "true")
	run(t, before, "true")
}

// TestBlock checks the partition only some see: a host blocked from the
// gateway is unreachable from the test process, while another host still
// reaches it; after Unblock the test process reaches it again.
func TestBlock(t *testing.T) {
	n := testhost.NewNetwork(t)
	a, b := n.Host(t, "a"), n.Host(t, "b")
	fromB := b.Executor(t)

	a.Block(t, n.Gateway())
	// A dial that fails, by timeout or refusal, is the outcome asked for:
	// the short timeout only bounds how long the test waits for it.
	if c, err := net.DialTimeout("tcp", a.SSHAddress(), 2*time.Second); err == nil {
		_ = c.Close()
		t.Fatal("the test process reaches a host blocked from the gateway")
	}
	out := run(t, fromB, executor.ShellCommand("ssh-keyscan", "-T", "60", "-t", "ed25519", a.Address().String()))
	if want := a.Address().String() + " " + a.HostKey(); !strings.Contains(out, want) {
		t.Errorf("ssh-keyscan of the blocked host from another host printed %q, want a line %q", out, want)
	}

	a.Unblock(t, n.Gateway())
	deadline := time.Now().Add(2 * time.Minute)
	for {
		c, err := net.DialTimeout("tcp", a.SSHAddress(), 10*time.Second)
		if err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the test process cannot reach the host after Unblock: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
