package testhost

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/hostnet"
)

// The files of a host's sshd, below its directory.
const (
	sshDir  = "ssh"
	sshdLog = "sshd.log"
	// homeDir, below the host's directory, is its login user's HOME.
	homeDir = "home"
)

// sshdReady is what sshd -D -e prints once it listens.
const sshdReady = "Server listening on"

// server is the host's sshd as internal/hostnet writes it.
func (h *Host) server() hostnet.SSHD {
	return hostnet.SSHD{Dir: filepath.Join(h.dir, sshDir), Address: h.addr, Port: 22, User: h.user, Home: filepath.Join(h.dir, homeDir)}
}

// setUpSSHD writes the host's sshd configuration, its host key and the
// provider's key as the one authorised key.
func (h *Host) setUpSSHD(t testing.TB) {
	t.Helper()
	// The login user's sshd child reads authorized_keys as that user.
	if err := os.Mkdir(filepath.Join(h.dir, sshDir), 0o755); err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(h.net.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	h.newHostKey(t)
	if err := h.server().Configure(ssh.MarshalAuthorizedKey(signer.PublicKey())); err != nil {
		t.Fatal(err)
	}
}

// newHostKey replaces the host's key with a new Ed25519 key made by
// ssh-keygen.
func (h *Host) newHostKey(t testing.TB) {
	t.Helper()
	s := h.server()
	if err := s.NewHostKey(h.name); err != nil {
		t.Fatalf("host %s: %v", h.name, err)
	}
	k, err := s.HostKey()
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.hostKey = k
	h.mu.Unlock()
}

// startSSHD starts sshd inside the host and waits until it listens.
func (h *Host) startSSHD(t testing.TB) {
	t.Helper()
	if err := hostnet.EnsurePrivSepDir(); err != nil {
		t.Fatal(err)
	}
	// Each sshd logs to a new file, so that the line saying it listens is
	// its own; sessions of an earlier sshd keep the old file.
	log := filepath.Join(h.dir, sshdLog)
	if err := os.Remove(log); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	p, err := startIn(h.ns, log, sshdPath, "-D", "-e", "-f", h.server().ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	if err := waitListening(p, log); err != nil {
		_ = p.Kill()
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
		case p.Exited():
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
		if err := p.Kill(); err != nil {
			t.Fatal(err)
		}
	}
	h.newHostKey(t)
	h.startSSHD(t)
}
