package executor

import (
	"context"
	"net"
	"os/user"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errDialUnix    = "cannot connect to the unix socket %s"
	errDialUnixSSH = "cannot connect to the unix socket %s on %s over SSH (the machine's sshd must allow AllowStreamLocalForwarding, and the login user must reach the socket)"
	errPeerUser    = "cannot tell which OS user this process runs as"
)

// A UnixDialer connects to a unix socket on the machine an executor runs
// commands on: the engine's socket, which serves what must not be reached
// over the network.
type UnixDialer interface {
	// DialUnix connects to the socket at path. The connection honours
	// deadlines, so a caller that sets them from its context (pgx does) is
	// never held past its context by a machine that stopped answering.
	DialUnix(ctx context.Context, path string) (net.Conn, error)
	// PeerUser is the OS user name a socket's server sees connecting
	// (SO_PEERCRED): this process's user here, the login user over SSH,
	// whose sshd connects without sudo. A server that maps peers to roles
	// (PostgreSQL's pg_ident.conf) must name it.
	PeerUser() (string, error)
}

var (
	_ UnixDialer = Local{}
	_ UnixDialer = (*SSH)(nil)
)

// DialUnix connects to the socket at path on this host.
func (Local) DialUnix(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	return c, errors.Wrapf(err, errDialUnix, path)
}

// PeerUser is the user this process runs as.
func (Local) PeerUser() (string, error) {
	u, err := user.Current()
	if err != nil {
		return "", errors.Wrap(err, errPeerUser)
	}
	return u.Username, nil
}

// PeerUser is the SSH login user.
func (s *SSH) PeerUser() (string, error) { return s.client.User(), nil }

// DialUnix connects to the socket at path on the machine through OpenSSH's
// direct-streamlocal channel, as `ssh -L port:/path` does: the machine's
// sshd connects to the socket as the login user, so the socket's directory
// and file modes decide, not sudo. Opening the channel waits for the
// machine's reply while ctx bounds the wait; the channel itself has no
// deadlines, so the connection returned adds them (see deadlineConn).
func (s *SSH) DialUnix(ctx context.Context, path string) (net.Conn, error) {
	c, err := s.client.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, errors.Wrapf(err, errDialUnixSSH, path, s.address)
	}
	return newDeadlineConn(c), nil
}
