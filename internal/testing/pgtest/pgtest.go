// Package pgtest starts a throwaway PostgreSQL server for tests, so that SQL
// clients and controllers are tested against the real engine rather than a
// fake that would accept SQL the server rejects.
package pgtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/pki"
	"github.com/dbaas-io/dbaas/internal/ports"
	"github.com/dbaas-io/dbaas/internal/testing/testproc"
)

// BinDir holds the PostgreSQL 15 server binaries on the test machines.
const BinDir = "/usr/lib/postgresql/15/bin"

// AdminUser is the superuser the server is initialised with.
const AdminUser = "postgres"

// serverUser is the unprivileged user the server runs as when the tests run
// as root, because initdb and postgres refuse to run as root.
const serverUser testproc.User = "postgres"

// A Server is a running PostgreSQL server that accepts password (SCRAM)
// logins on Host:Port.
type Server struct {
	Host     string
	Port     int
	User     string
	Password string
	// CA signed the certificate the server offers TLS with, for Host, as
	// the provider's instances do; clients verify-full against it. The
	// server also takes plain connections, for clients tested with TLS
	// disabled.
	CA []byte

	dataDir string
	logFile string
	opts    string
}

// Start runs a server for the test and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return testproc.Start(t, "pgtest-", "PostgreSQL", New)
}

// New initialises and starts a server below baseDir, which must exist. The
// caller stops it with Stop. Use it from TestMain, where no testing.TB exists,
// to share one server between the tests of a package.
func New(baseDir string) (*Server, error) {
	root, err := testproc.Root(baseDir, "pg")
	if err != nil {
		return nil, err
	}
	s := &Server{
		Host:     "127.0.0.1",
		User:     AdminUser,
		Password: testproc.Password(),
		dataDir:  filepath.Join(root, "data"),
		logFile:  filepath.Join(root, "server.log"),
	}
	sock := filepath.Join(root, "sock")
	pwFile := filepath.Join(root, "pwfile")
	if err := os.MkdirAll(sock, 0o700); err != nil {
		return nil, errors.Wrap(err, "cannot create the socket directory")
	}
	if err := os.WriteFile(pwFile, []byte(s.Password+"\n"), 0o600); err != nil {
		return nil, errors.Wrap(err, "cannot write the password file")
	}
	if err := serverUser.Chown(root); err != nil {
		return nil, err
	}
	// Host logins need a SCRAM password so that tests can tell a right
	// password from a wrong one; local (socket) logins are trusted so that
	// pg_ctl can check readiness.
	if out, err := s.run(filepath.Join(BinDir, "initdb"), "-D", s.dataDir, "-U", AdminUser,
		"--pwfile", pwFile, "--auth-host=scram-sha-256", "--auth-local=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync"); err != nil {
		return nil, errors.Wrapf(err, "cannot run initdb: %s", out)
	}
	_ = os.Remove(pwFile)
	if err := s.serveTLS(); err != nil {
		return nil, err
	}
	port, err := ports.Free()
	if err != nil {
		return nil, err
	}
	s.Port = port
	s.opts = fmt.Sprintf("-c listen_addresses=%s -c port=%d -c unix_socket_directories=%s -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c ssl=on",
		s.Host, port, sock)
	return s, s.Resume()
}

// DataDir is the server's data directory.
func (s *Server) DataDir() string { return s.dataDir }

// serveTLS gives the server a certificate for Host signed by a CA of its
// own, in the data directory where PostgreSQL looks by default (server.crt,
// server.key, the key readable by the server's user only).
func (s *Server) serveTLS() error {
	now := time.Now()
	ca, err := pki.NewCA("pgtest CA", now)
	if err != nil {
		return err
	}
	srv, err := pki.IssueServer(ca, []string{s.Host, "localhost"}, now)
	if err != nil {
		return err
	}
	for name, b := range map[string][]byte{"server.crt": srv.Cert, "server.key": srv.Key} {
		p := filepath.Join(s.dataDir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return errors.Wrap(err, "cannot write the server certificate")
		}
		if err := serverUser.Chown(p); err != nil {
			return err
		}
	}
	s.CA = ca.Cert
	return nil
}

// Resume starts a stopped server again, on the same port with the same
// data, as a server back from an outage would be.
func (s *Server) Resume() error {
	if out, err := s.run(filepath.Join(BinDir, "pg_ctl"), "-D", s.dataDir, "-l", s.logFile, "-o", s.opts, "-w", "start"); err != nil {
		log, _ := os.ReadFile(s.logFile)
		return errors.Wrapf(err, "cannot start PostgreSQL: %s\n%s", out, log)
	}
	return nil
}

// Stop stops the server, ending its connections. It returns once the
// postmaster's process has gone: pg_ctl stop returns when the pid file has
// gone, which the postmaster removes just before it exits.
func (s *Server) Stop() error {
	pid, _ := lockPID(s.dataDir)
	if out, err := s.run(filepath.Join(BinDir, "pg_ctl"), "-D", s.dataDir, "-m", "fast", "-w", "stop"); err != nil {
		return errors.Wrapf(err, "cannot stop PostgreSQL: %s", out)
	}
	if pid <= 0 {
		return nil
	}
	deadline := time.Now().Add(stopWait)
	for {
		if _, ok := readProcess(pid); !ok {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.Errorf("the postmaster %d still runs %s after pg_ctl stop returned", pid, stopWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stopWait bounds how long Stop waits for the postmaster to exit after
// pg_ctl stop has returned.
const stopWait = time.Minute

// run runs a server binary, as the server's user when we are root.
func (s *Server) run(bin string, args ...string) ([]byte, error) {
	cmd, err := serverUser.Command(bin, args...)
	if err != nil {
		return nil, err
	}
	return cmd.CombinedOutput()
}
