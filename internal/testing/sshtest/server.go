// Package sshtest runs an in-process SSH server for tests. It executes
// commands on this host with sh -c, as sshd would on a VM, so code that
// drives machines over SSH is tested over a real SSH connection without
// needing a VM or an sshd binary.
package sshtest

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"
)

// user is the only user the server lets in. Commands run as whoever runs
// the test, whatever the name, unless RunAs names a local user.
const user = "dbaas-test"

// A Server is an SSH server listening on 127.0.0.1.
type Server struct {
	ln         net.Listener
	clientKey  []byte
	clientPub  ssh.PublicKey
	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	sessions   atomic.Int64
	conns      atomic.Int64
	mu         sync.Mutex
	hostSigner ssh.Signer
	open       map[net.Conn]struct{}
	closed     bool
	env        []string
	login      *login
}

// Start starts a server on a free port of 127.0.0.1 with a new Ed25519 host
// key, accepting only the public key of ClientKeyPEM for User. It stops
// when the test ends, killing commands still running.
func Start(t testing.TB) *Server {
	t.Helper()
	hostSigner, _ := generateKey(t)
	clientSigner, clientPEM := generateKey(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("cannot listen for SSH: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		ln:         ln,
		clientKey:  clientPEM,
		clientPub:  clientSigner.PublicKey(),
		ctx:        ctx,
		cancel:     cancel,
		hostSigner: hostSigner,
		open:       map[net.Conn]struct{}{},
	}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.stop)
	return s
}

// Addr is the host:port to dial.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// User is the user name the server accepts.
func (s *Server) User() string { return user }

// ClientKeyPEM is the private key the server accepts, in OpenSSH PEM form.
func (s *Server) ClientKeyPEM() []byte { return bytes.Clone(s.clientKey) }

// HostKeyLine is the server's current host key in authorized_keys form.
func (s *Server) HostKeyLine() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.hostSigner.PublicKey())))
}

// RotateHostKey gives the server a new host key, as rebuilding a machine
// would. Connections made after it see the new key.
func (s *Server) RotateHostKey(t testing.TB) {
	t.Helper()
	signer, _ := generateKey(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hostSigner = signer
}

// SetEnv sets variables, as NAME=value, in the environment of the commands
// run after it, on top of the test's own: PATH=<dir>:$PATH stands in a
// program, such as apt-get, that a test must not run for real. No
// arguments clears them.
func (s *Server) SetEnv(env ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.env = append([]string(nil), env...)
}

func (s *Server) environ() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	env := append(os.Environ(), s.env...)
	if s.login != nil {
		env = append(env, "HOME="+s.login.home, "USER="+s.login.name, "LOGNAME="+s.login.name)
	}
	return env
}

// Sessions is how many sessions (one per command) clients have opened.
func (s *Server) Sessions() int { return int(s.sessions.Load()) }

// Connections is how many clients have logged in.
func (s *Server) Connections() int { return int(s.conns.Load()) }

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return // The listener was closed by stop.
		}
		if !s.track(nc) {
			_ = nc.Close()
			return
		}
		s.wg.Add(1)
		go s.serve(nc)
	}
}

// track records an open connection so stop can close it; false once the
// server is stopping.
func (s *Server) track(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.open[nc] = struct{}{}
	return true
}

func (s *Server) serve(nc net.Conn) {
	defer s.wg.Done()
	defer func() {
		_ = nc.Close()
		s.mu.Lock()
		delete(s.open, nc)
		s.mu.Unlock()
	}()
	cfg := &ssh.ServerConfig{PublicKeyCallback: s.authorize}
	s.mu.Lock()
	cfg.AddHostKey(s.hostSigner)
	s.mu.Unlock()
	sc, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		return // A refused key or a client that gave up: what tests provoke.
	}
	defer sc.Close()
	s.conns.Add(1)
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		if nch.ChannelType() == streamLocalChannel {
			s.wg.Add(1)
			go s.streamLocal(nch)
			continue
		}
		if nch.ChannelType() != "session" {
			_ = nch.Reject(ssh.UnknownChannelType, "only sessions and unix sockets are supported")
			continue
		}
		ch, chReqs, err := nch.Accept()
		if err != nil {
			continue
		}
		s.sessions.Add(1)
		s.wg.Add(1)
		go s.session(ch, chReqs)
	}
}

var errRefused = errors.New("unknown user or key")

func (s *Server) authorize(md ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	if md.User() == user && bytes.Equal(key.Marshal(), s.clientPub.Marshal()) {
		return &ssh.Permissions{}, nil
	}
	return nil, errRefused
}

// stop closes the listener and every connection, kills running commands and
// waits for all goroutines, so nothing outlives the test.
func (s *Server) stop() {
	s.mu.Lock()
	s.closed = true
	_ = s.ln.Close()
	for nc := range s.open {
		_ = nc.Close()
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}
