package testhost

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// privSepDir is where Debian's sshd chroots its unprivileged child before
// authentication; sshd refuses to start without it, and on a machine whose
// own sshd never ran (a container, say) nothing has made it. It is the
// machine's, not the test's, so it is made if missing and never removed.
const privSepDir = "/run/sshd"

// The files of a host's sshd, below its directory.
const (
	sshDir         = "ssh"
	sshdConfig     = "sshd_config"
	hostKeyFile    = "ssh_host_ed25519_key"
	authorizedKeys = "authorized_keys"
	sshdPIDFile    = "sshd.pid"
	sshdLog        = "sshd.log"
	// homeDir, below the host's directory, is its login user's HOME.
	homeDir = "home"
)

// sshdReady is what sshd -D -e prints once it listens.
const sshdReady = "Server listening on"

// setUpSSHD writes the host's sshd configuration, its host key and the
// provider's key as the one authorised key.
func (h *Host) setUpSSHD(t testing.TB) {
	t.Helper()
	dir := filepath.Join(h.dir, sshDir)
	// The login user's sshd child reads authorized_keys as that user.
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(h.net.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(h.dir, homeDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, authorizedKeys), ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, sshdConfig), []byte(h.sshdConfig()), 0o644); err != nil {
		t.Fatal(err)
	}
	h.newHostKey(t)
}

// sshdConfig is the host's sshd_config: its own address, key files and PID
// file, key logins only, by the host's login user only. StrictModes is off
// because the files live below the test's temporary directory, whose
// owners and modes sshd would refuse; PAM is off because the test's login
// user has no PAM session to open. HOME is the host's own: Debian's bash
// reads ~/.bashrc for commands sshd runs, and the machine's root's (pyenv,
// say) would cost every command seconds and is no part of the host.
func (h *Host) sshdConfig() string {
	dir := filepath.Join(h.dir, sshDir)
	return fmt.Sprintf(`ListenAddress %s
HostKey %s
PidFile %s
AuthorizedKeysFile %s
AllowUsers %s
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
SetEnv HOME=%s
`, h.SSHAddress(), filepath.Join(dir, hostKeyFile), filepath.Join(dir, sshdPIDFile),
		filepath.Join(dir, authorizedKeys), h.user, filepath.Join(h.dir, homeDir))
}

// newHostKey replaces the host's key with a new Ed25519 key made by
// ssh-keygen.
func (h *Host) newHostKey(t testing.TB) {
	t.Helper()
	path := filepath.Join(h.dir, sshDir, hostKeyFile)
	for _, p := range []string{path, path + ".pub"} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", h.name, "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("cannot make a host key for %s: %v: %s", h.name, err, out)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	// Without the comment, as executor.DialSSH returns keys for pinning.
	k, _, _, _, err := ssh.ParseAuthorizedKey(pub)
	if err != nil {
		t.Fatalf("cannot parse %s: %v", path+".pub", err)
	}
	h.mu.Lock()
	h.hostKey = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
	h.mu.Unlock()
}

// startSSHD starts sshd inside the host and waits until it listens.
func (h *Host) startSSHD(t testing.TB) {
	t.Helper()
	if err := os.MkdirAll(privSepDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Each sshd logs to a new file, so that the line saying it listens is
	// its own; sessions of an earlier sshd keep the old file.
	log := filepath.Join(h.dir, sshdLog)
	if err := os.Remove(log); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	p, err := startIn(h.ns, log, sshdPath, "-D", "-e", "-f", filepath.Join(h.dir, sshDir, sshdConfig))
	if err != nil {
		t.Fatal(err)
	}
	if err := waitListening(p, log); err != nil {
		_ = p.kill()
		t.Fatalf("host %s: %v", h.name, err)
	}
	h.mu.Lock()
	h.sshd = p
	h.mu.Unlock()
}

// waitListening waits for sshd to say it listens, or to end.
func waitListening(p *process, log string) error {
	deadline := time.Now().Add(waitDeadline)
	for {
		b, _ := os.ReadFile(log)
		switch {
		case strings.Contains(string(b), sshdReady):
			return nil
		case p.exited():
			return errors.Errorf("sshd ended before listening: %s", strings.TrimSpace(string(b)))
		case time.Now().After(deadline):
			return errors.Errorf("sshd does not listen after %s: %s", waitDeadline, strings.TrimSpace(string(b)))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ChangeHostKey gives the host a new host key and restarts its sshd, as
// rebuilding a machine at the same address would; connections already
// open stay.
func (h *Host) ChangeHostKey(t testing.TB) {
	t.Helper()
	h.mu.Lock()
	p := h.sshd
	h.mu.Unlock()
	if p != nil {
		// Only the listening sshd: it does not end the sessions it forked.
		if err := p.kill(); err != nil {
			t.Fatal(err)
		}
	}
	h.newHostKey(t)
	h.startSSHD(t)
}
