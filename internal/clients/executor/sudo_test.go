package executor_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/testing/integration"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
	"github.com/dbaas-io/dbaas/internal/testing/testhost"
)

// TestSudoOverSSH runs the executor's sudo path for real: a login user that
// is not root, allowed by a sudoers drop-in of the test's own to become
// root without a password, as cloud-init sets up a VM's default user.
// With Sudo the commands run as root; without it they run as the login user
// and a command that needs root fails.
func TestSudoOverSSH(t *testing.T) {
	integration.Needs(t, "root and sudo (make deps)")
	if os.Geteuid() != 0 {
		t.Fatal("this test creates a user and a sudoers file: run it as root, as CI does")
	}
	if _, err := exec.LookPath("sudo"); err != nil {
		t.Fatal("sudo is not installed: run make deps")
	}
	name := testhost.SudoUser(t)

	srv := sshtest.Start(t)
	srv.RunAs(t, name)
	dial := func(sudo bool) *executor.SSH {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s, _, err := executor.DialSSH(ctx, executor.Config{Address: srv.Addr(), User: srv.User(), PrivateKeyPEM: srv.ClientKeyPEM(), Sudo: sudo})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	asRoot, asLogin := dial(true), dial(false)
	ctx := context.Background()

	whoami := func(s *executor.SSH) string {
		t.Helper()
		res, err := s.Run(ctx, "id -un", nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != 0 {
			t.Fatalf("id -un exited %d: %s", res.ExitCode, res.Stderr)
		}
		return strings.TrimSpace(res.Stdout)
	}
	if got := whoami(asRoot); got != "root" {
		t.Errorf("with Sudo, commands run as %q, want root", got)
	}
	if got := whoami(asLogin); got != name {
		t.Errorf("without Sudo, commands run as %q, want the login user %s", got, name)
	}

	// A directory only root may enter: writing into it needs root.
	private := filepath.Join(t.TempDir(), "root-only")
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(private, "file")
	if err := asLogin.WriteFile(ctx, target, []byte("login"), 0o600); err == nil {
		t.Errorf("without Sudo, writing %s succeeded; want it refused", target)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Errorf("without Sudo, %s exists after a refused write: %v", target, err)
	}
	if _, err := asLogin.ReadFile(ctx, "/etc/shadow"); err == nil {
		t.Error("without Sudo, reading /etc/shadow succeeded; want it refused")
	}

	if err := asRoot.WriteFile(ctx, target, []byte("root"), 0o600); err != nil {
		t.Fatalf("with Sudo, cannot write %s: %v", target, err)
	}
	fi, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("with Sudo, %s has owner %d and mode %v; want root and 0600", target, st.Uid, fi.Mode().Perm())
	}
	if b, err := asRoot.ReadFile(ctx, target); err != nil || string(b) != "root" {
		t.Errorf("with Sudo, reading %s back: %q, %v", target, b, err)
	}
}
