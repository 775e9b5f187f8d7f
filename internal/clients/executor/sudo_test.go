package executor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/testing/integration"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
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
	name := loginUser(t)

	srv := sshtest.Start(t)
	srv.RunAs(t, name)
	dial := func(sudo bool) *SSH {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s, _, err := DialSSH(ctx, Config{Address: srv.Addr(), User: srv.User(), PrivateKeyPEM: srv.ClientKeyPEM(), Sudo: sudo})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	asRoot, asLogin := dial(true), dial(false)
	ctx := context.Background()

	whoami := func(s *SSH) string {
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

// loginUser creates a user of the test's own, not root, with a sudoers
// drop-in that lets it run anything as root without a password, and
// removes both when the test ends.
func loginUser(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "dbaas-sudo-" + hex.EncodeToString(b)
	// useradd takes a lock on /etc/passwd; another engineer's test may
	// hold it for a moment.
	var out []byte
	var err error
	for range 10 {
		out, err = exec.Command("useradd", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/bin/sh", "--", name).CombinedOutput()
		if err == nil {
			break
		}
		time.Sleep(time.Second)
	}
	if err != nil {
		t.Fatalf("cannot create user %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", "--", name).CombinedOutput(); err != nil {
			t.Errorf("cannot remove user %s: %v: %s", name, err, out)
		}
	})

	// sudo ignores drop-ins whose names hold a dot: the file is written
	// under such a name beside its place, checked with visudo (a broken
	// file would break sudo for the whole machine) and renamed into place,
	// so no sudo ever reads half of it.
	dropIn := filepath.Join("/etc/sudoers.d", name)
	tmp := dropIn + ".tmp"
	t.Cleanup(func() { _ = os.Remove(tmp) })
	if err := os.WriteFile(tmp, []byte(name+" ALL=(ALL) NOPASSWD: ALL\n"), 0o440); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("visudo", "-c", "-q", "-f", tmp).CombinedOutput(); err != nil {
		t.Fatalf("visudo refuses the test's sudoers drop-in: %v: %s", err, out)
	}
	if err := os.Rename(tmp, dropIn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dropIn); err != nil && !os.IsNotExist(err) {
			t.Errorf("cannot remove %s: %v", dropIn, err)
		}
	})
	return name
}
