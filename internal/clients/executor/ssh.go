package executor

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errParseKey       = "cannot parse the SSH private key"
	errConnect        = "cannot connect over SSH to %s"
	errAuth           = "cannot log in over SSH as %s@%s: the machine does not accept the private key"
	errHandshake      = "cannot set up an SSH connection to %s as %s"
	errNoHandshake    = "cannot connect over SSH to %s: no SSH handshake in time"
	errSession        = "cannot open an SSH session on %s"
	errNoSession      = "cannot open an SSH session on %s: no reply in time"
	errNoExitStatus   = "the command on %s ended without reporting an exit status"
	errAuthMarker     = "unable to authenticate"
	defaultSSHTimeout = 30 * time.Second
)

// Config says how to reach a machine over SSH.
type Config struct {
	// Address is host:port.
	Address string
	User    string
	// PrivateKeyPEM is an unencrypted private key in PEM (OpenSSH or PKCS)
	// form.
	PrivateKeyPEM []byte
	// KnownHostKey is the host key pinned at first contact, in
	// authorized_keys form. Empty means first contact: any key is accepted
	// and returned by DialSSH for the caller to pin.
	KnownHostKey string
	// Sudo runs every command through sudo -n, for a User that is not root
	// but may become it without a password, as cloud-init sets it up.
	Sudo bool
}

// SSH runs commands on a machine over one SSH connection; each command is a
// session on it.
type SSH struct {
	client  *ssh.Client
	address string
	sudo    bool
}

var _ Executor = (*SSH)(nil)

// DialSSH connects to cfg.Address and returns the executor and the host key
// the machine presented, in authorized_keys form, for the caller to pin. If
// ctx has no deadline, connecting gives up after 30 seconds. A host key other
// than cfg.KnownHostKey returns a *HostKeyChangedError.
func DialSSH(ctx context.Context, cfg Config) (*SSH, string, error) {
	signer, err := ssh.ParsePrivateKey(cfg.PrivateKeyPEM)
	if err != nil {
		return nil, "", errors.Wrap(err, errParseKey)
	}
	pin, err := newHostKeyPin(cfg.Address, cfg.KnownHostKey)
	if err != nil {
		return nil, "", err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultSSHTimeout)
		defer cancel()
	}

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", cfg.Address)
	if err != nil {
		return nil, "", errors.Wrapf(err, errConnect, cfg.Address)
	}
	// The SSH handshake does not watch ctx: a deadline on the connection
	// bounds it, and closing the connection aborts it if ctx is canceled.
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, cfg.Address, &ssh.ClientConfig{
		User:              cfg.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback:   pin.check,
		HostKeyAlgorithms: pin.algorithms(),
	})
	if !stop() && err == nil {
		// ctx ended just as the handshake finished; the connection is gone.
		_ = c.Close()
		return nil, "", errors.Wrapf(ctx.Err(), errConnect, cfg.Address)
	}
	if err != nil {
		_ = conn.Close()
		return nil, "", handshakeError(ctx, cfg, pin, err)
	}
	// Commands may run for longer than connecting may take.
	_ = conn.SetDeadline(time.Time{})
	return &SSH{client: ssh.NewClient(c, chans, reqs), address: cfg.Address, sudo: cfg.Sudo}, pin.line(), nil
}

// handshakeError tells a changed host key, a refused key and a timeout
// apart, since each asks for a different remedy.
func handshakeError(ctx context.Context, cfg Config, pin *hostKeyPin, err error) error {
	switch {
	case pin.changed != nil:
		return pin.changed
	case ctx.Err() != nil:
		return errors.Wrapf(errors.Join(ctx.Err(), err), errNoHandshake, cfg.Address)
	case isTimeout(err):
		// The connection's deadline, which is ctx's, may fire a moment
		// before ctx reports it.
		return errors.Wrapf(err, errNoHandshake, cfg.Address)
	case strings.Contains(err.Error(), errAuthMarker):
		// x/crypto/ssh has no typed error for this.
		return errors.Wrapf(err, errAuth, cfg.User, cfg.Address)
	default:
		return errors.Wrapf(err, errHandshake, cfg.Address, cfg.User)
	}
}

// remoteCommand is what the machine's login shell is asked to run for cmd.
// sudo -n fails at once rather than wait for a password nobody will type.
func remoteCommand(cmd string, sudo bool) string {
	if sudo {
		return "exec sudo -n -- sh -c " + ShellQuote(cmd)
	}
	return "exec sh -c " + ShellQuote(cmd)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Run runs cmd with sh -c on the machine. The machine's login shell would
// run cmd as it is; wrapping it in sh -c gives every machine, and Local, the
// same shell, and exec makes that sh the process a kill signal reaches.
// Processes the command started in the background may outlive a canceled
// command: sshd signals only the process it started.
func (s *SSH) Run(ctx context.Context, cmd string, stdin io.Reader) (Result, error) {
	var stdout, stderr bytes.Buffer
	sess, err := s.start(ctx, remoteCommand(cmd, s.sudo), stdin, &stdout, &stderr)
	if err != nil {
		return Result{}, err
	}
	defer sess.Close()
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		// Kill rather than leave the command running unseen; closing the
		// session covers servers that ignore signal requests.
		_ = sess.Signal(ssh.SIGKILL)
		_ = sess.Close()
		return Result{}, errors.Wrap(ctx.Err(), errCanceled)
	}
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitStatus()
		if sig := exitErr.Signal(); sig != "" {
			res.ExitCode = 128 + signalNumber(sig)
		}
	case errors.As(err, &missing):
		return Result{}, errors.Wrapf(err, errNoExitStatus, s.address)
	default:
		return Result{}, errors.Wrap(err, errWait)
	}
	return res, nil
}

// start opens a session and starts cmd in it. Opening a session and
// starting a command each wait for the machine's reply, and x/crypto/ssh
// does not watch ctx while they wait: on a link that went dead they would
// wait until TCP gives up, many minutes later, holding the reconcile that
// asked. So they run aside, and start returns when ctx ends; a session that
// opens after that is killed and closed, and closing the executor ends the
// wait for good.
func (s *SSH) start(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (*ssh.Session, error) {
	type opened struct {
		sess *ssh.Session
		err  error
	}
	ch := make(chan opened, 1)
	go func() {
		sess, err := s.client.NewSession()
		if err != nil {
			ch <- opened{err: errors.Wrapf(err, errSession, s.address)}
			return
		}
		sess.Stdin, sess.Stdout, sess.Stderr = stdin, stdout, stderr
		if err := sess.Start(cmd); err != nil {
			_ = sess.Close()
			ch <- opened{err: errors.Wrap(err, errStart)}
			return
		}
		ch <- opened{sess: sess}
	}()
	select {
	case o := <-ch:
		return o.sess, o.err
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.sess != nil {
				_ = o.sess.Signal(ssh.SIGKILL)
				_ = o.sess.Close()
			}
		}()
		return nil, errors.Wrapf(ctx.Err(), errNoSession, s.address)
	}
}

// Close closes the connection.
func (s *SSH) Close() error { return s.client.Close() }

// signalNumber returns the Linux number of an SSH signal name, so a killed
// command reports the code a shell would; 0 for one it does not know.
func signalNumber(name string) int {
	switch ssh.Signal(name) {
	case ssh.SIGHUP:
		return 1
	case ssh.SIGINT:
		return 2
	case ssh.SIGQUIT:
		return 3
	case ssh.SIGILL:
		return 4
	case ssh.SIGABRT:
		return 6
	case ssh.SIGFPE:
		return 8
	case ssh.SIGKILL:
		return 9
	case ssh.SIGUSR1:
		return 10
	case ssh.SIGSEGV:
		return 11
	case ssh.SIGUSR2:
		return 12
	case ssh.SIGPIPE:
		return 13
	case ssh.SIGALRM:
		return 14
	case ssh.SIGTERM:
		return 15
	}
	return 0
}

// LocalIP is the address this end of the connection has: where the machine
// sees the provider's connections come from, unless something on the way
// translates addresses.
func (s *SSH) LocalIP() net.IP {
	if a, ok := s.client.LocalAddr().(*net.TCPAddr); ok {
		return a.IP
	}
	return nil
}
