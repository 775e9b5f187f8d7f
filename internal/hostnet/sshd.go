package hostnet

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// SSHDPath is Debian's OpenSSH server.
const SSHDPath = "/usr/sbin/sshd"

// privSepDir is where Debian's sshd chroots its unprivileged child before
// authentication; sshd refuses to start without it, and on a machine whose
// own sshd never ran (a container, say) nothing has made it. It is the
// machine's, so it is made if missing and never removed.
const privSepDir = "/run/sshd"

// The files of a host's sshd, below its directory.
const (
	sshdConfigFile     = "sshd_config"
	hostKeyFile        = "ssh_host_ed25519_key"
	authorizedKeysFile = "authorized_keys"
	sshdPIDFile        = "sshd.pid"
	sshdLogFile        = "sshd.log"
)

// An SSHD is a real OpenSSH server of a host of its own: its
// configuration, host key, authorised keys, PID file and log live in Dir,
// and it listens on Address only.
type SSHD struct {
	// Dir holds the server's files. Every directory above authorized_keys
	// must be traversable by User, who reads it.
	Dir string
	// Address and Port are where it listens.
	Address netip.Addr
	Port    int
	// User is the one login user it lets in.
	User string
	// Home is the HOME of commands it runs.
	Home string
}

// ConfigPath is the server's sshd_config.
func (s SSHD) ConfigPath() string { return filepath.Join(s.Dir, sshdConfigFile) }

// HostKeyPath is the server's private host key; its public half is beside
// it with .pub added.
func (s SSHD) HostKeyPath() string { return filepath.Join(s.Dir, hostKeyFile) }

// AuthorizedKeysPath is the keys the server lets in.
func (s SSHD) AuthorizedKeysPath() string { return filepath.Join(s.Dir, authorizedKeysFile) }

// PIDPath is the PID file the server writes once it listens.
func (s SSHD) PIDPath() string { return filepath.Join(s.Dir, sshdPIDFile) }

// LogPath is where a server started by StartDaemon logs.
func (s SSHD) LogPath() string { return filepath.Join(s.Dir, sshdLogFile) }

// ListenAddress is host:port of the server.
func (s SSHD) ListenAddress() string {
	return net.JoinHostPort(s.Address.String(), strconv.Itoa(s.Port))
}

// Config is the server's sshd_config: its own address, key files and PID
// file, key logins only, by the login user only. StrictModes is off
// because the files may live below a temporary directory, whose owners and
// modes sshd would refuse; PAM is off because the login user may have no
// PAM session to open. HOME is the host's own: Debian's bash reads
// ~/.bashrc for commands sshd runs, and the machine's root's (pyenv, say)
// would cost every command seconds and is no part of the host.
func (s SSHD) Config() string {
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
`, s.ListenAddress(), s.HostKeyPath(), s.PIDPath(), s.AuthorizedKeysPath(), s.User, s.Home)
}

// Configure writes the server's configuration and authorized_keys, and
// makes its host key when it has none, so that a host keeps its key for
// its life, as a machine does.
func (s SSHD) Configure(authorizedKeys []byte) error {
	for _, d := range []string{s.Dir, s.Home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return errors.Wrapf(err, "cannot make %s", d)
		}
	}
	if err := os.WriteFile(s.AuthorizedKeysPath(), authorizedKeys, 0o644); err != nil {
		return errors.Wrap(err, "cannot write authorized_keys")
	}
	if err := os.WriteFile(s.ConfigPath(), []byte(s.Config()), 0o644); err != nil {
		return errors.Wrap(err, "cannot write sshd_config")
	}
	if _, err := os.Stat(s.HostKeyPath()); err == nil {
		return nil
	}
	return s.NewHostKey("")
}

// NewHostKey replaces the server's host key with a new Ed25519 key made by
// ssh-keygen, with comment as its comment.
func (s SSHD) NewHostKey(comment string) error {
	path := s.HostKeyPath()
	for _, p := range []string{path, path + ".pub"} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return errors.Wrapf(err, "cannot remove %s", p)
		}
	}
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path).CombinedOutput(); err != nil {
		return errors.Wrapf(err, "cannot make a host key: %s", out)
	}
	return nil
}

// HostKey is the server's host key in authorized_keys form without its
// comment, as executor.DialSSH returns keys for pinning.
func (s SSHD) HostKey() (string, error) {
	pub, err := os.ReadFile(s.HostKeyPath() + ".pub")
	if err != nil {
		return "", errors.Wrap(err, "cannot read the host key")
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey(pub)
	if err != nil {
		return "", errors.Wrapf(err, "cannot parse %s", s.HostKeyPath()+".pub")
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))), nil
}

// EnsurePrivSepDir makes sshd's privilege separation directory if missing.
func EnsurePrivSepDir() error {
	return errors.Wrapf(os.MkdirAll(privSepDir, 0o755), "cannot make %s", privSepDir)
}

// Running returns the PID of the server when its PID file names a process
// that runs inside the namespace ns.
func (s SSHD) Running(ns string) (int, bool) {
	b, err := os.ReadFile(s.PIDPath())
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, InNamespace(pid, ns)
}

// InNamespace reports whether process pid runs, and not as a zombie,
// inside the network namespace ns.
func InNamespace(pid int, ns string) bool {
	want, err := os.Stat(filepath.Join("/run/netns", ns))
	if err != nil {
		return false
	}
	got, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid), "ns", "net"))
	if err != nil || !os.SameFile(want, got) {
		return false
	}
	st, ok := ReadStat(pid)
	return ok && st.State != "Z"
}

// StartDaemon starts the server inside the namespace ns as a daemon of its
// own, whose parent is PID 1 once sshd forks, so that it outlives the
// process that starts it (a provider that restarts finds it by its PID
// file), and waits until it listens: sshd writes its PID file once its
// socket is bound.
func (s SSHD) StartDaemon(ctx context.Context, ns string) (int, error) {
	if err := EnsurePrivSepDir(); err != nil {
		return 0, err
	}
	if err := os.Remove(s.PIDPath()); err != nil && !os.IsNotExist(err) {
		return 0, errors.Wrap(err, "cannot remove the old PID file")
	}
	if _, err := IP(ctx, "netns", "exec", ns, SSHDPath, "-f", s.ConfigPath(), "-E", s.LogPath()); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(WaitDeadline)
	for {
		if pid, ok := s.Running(ns); ok {
			return pid, nil
		}
		if err := ctx.Err(); err != nil {
			return 0, errors.Wrap(err, "sshd does not listen")
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(s.LogPath())
			return 0, errors.Errorf("sshd does not listen after %s: %s", WaitDeadline, strings.TrimSpace(string(b)))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
