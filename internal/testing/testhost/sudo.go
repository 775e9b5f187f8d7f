package testhost

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// SudoUser creates a user of the test's own, not root, with a sudoers
// drop-in that lets it run anything as root without a password, as
// cloud-init sets up a VM's default user, and removes both when the test
// ends. The test must run as root.
func SudoUser(t testing.TB) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "dbaas-sudo-" + hex.EncodeToString(b)
	// useradd takes a lock on /etc/passwd; another engineer's test may
	// hold it for a moment. The password field is "*", no password, rather
	// than useradd's "!": an sshd without PAM refuses every login, even by
	// key, to an account whose password starts with "!", as a locked one.
	var out []byte
	var err error
	for range 10 {
		out, err = exec.Command("useradd", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/bin/sh", "--password", "*", "--", name).CombinedOutput()
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
