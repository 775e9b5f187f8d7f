// Package pgserver runs a PostgreSQL 15 server from this machine's own
// binaries, outside any DatabaseInstance: initialised with a SCRAM password
// for host logins, serving TLS with a certificate that a given CA signs,
// started and stopped with pg_ctl and, when we are root, run as an
// unprivileged account. The tests' throwaway servers (pgtest) and the local
// environment's shared server, which stands for the DBAs' existing server,
// are both made by it.
package pgserver

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/pki"
	"github.com/dbaas-io/dbaas/internal/runas"
)

// BinDir holds the PostgreSQL 15 server binaries.
const BinDir = "/usr/lib/postgresql/15/bin"

// OSUser is the account the server runs as when we are root, because
// initdb and postgres refuse to run as root.
const OSUser runas.User = "postgres"

// Options of a new server.
type Options struct {
	// Dir is the server's own directory, which must not exist yet or be
	// empty: the data directory, the socket directory and the log go below
	// it. Its parent must be traversable by OSUser.
	Dir string

	// Host is the address the server listens on, and that its certificate
	// names along with localhost.
	Host string

	// Port the server listens on.
	Port int

	// AdminUser is the superuser the server is initialised with, and
	// Password its password for host logins.
	AdminUser, Password string

	// CA signs the server's certificate.
	CA pki.Pair

	// TLSOnly refuses host logins without TLS, as a server holding other
	// people's data would. Otherwise plain connections are taken too, for
	// clients tested with TLS disabled.
	TLSOnly bool

	// Durable keeps fsync, full-page writes and synchronous commits. Tests
	// turn them off for speed: their servers are thrown away.
	Durable bool
}

// A Server is a PostgreSQL server that takes password (SCRAM) logins on
// Host:Port; local (socket) logins are trusted, for pg_ctl to check
// readiness and for the DBAs' procedures that reach the server through its
// own socket.
type Server struct {
	Host     string
	Port     int
	User     string
	Password string
	// CA signed the certificate the server offers TLS with, for Host, as
	// the provider's instances do; clients verify-full against it.
	CA []byte

	dataDir string
	logFile string
	opts    string
}

// Start initialises a server in o.Dir and starts it. The caller stops it
// with Stop.
func Start(o Options) (*Server, error) {
	s := &Server{
		Host:     o.Host,
		Port:     o.Port,
		User:     o.AdminUser,
		Password: o.Password,
		CA:       o.CA.Cert,
		dataDir:  filepath.Join(o.Dir, "data"),
		logFile:  filepath.Join(o.Dir, "server.log"),
	}
	sock := filepath.Join(o.Dir, "sock")
	pwFile := filepath.Join(o.Dir, "pwfile")
	if err := os.MkdirAll(sock, 0o700); err != nil {
		return nil, errors.Wrap(err, "cannot create the socket directory")
	}
	// initdb reads the password from a file, so that it is on no command
	// line; the file goes as soon as initdb has read it.
	if err := os.WriteFile(pwFile, []byte(s.Password+"\n"), 0o600); err != nil {
		return nil, errors.Wrap(err, "cannot write the password file")
	}
	if err := OSUser.Chown(o.Dir); err != nil {
		return nil, err
	}
	// Host logins need a SCRAM password so that a right password can be
	// told from a wrong one; local (socket) logins are trusted so that
	// pg_ctl can check readiness.
	out, err := run(filepath.Join(BinDir, "initdb"), "-D", s.dataDir, "-U", s.User,
		"--pwfile", pwFile, "--auth-host=scram-sha-256", "--auth-local=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync")
	_ = os.Remove(pwFile)
	if err != nil {
		return nil, errors.Wrapf(err, "cannot run initdb: %s", out)
	}
	if err := s.serveTLS(o.CA); err != nil {
		return nil, err
	}
	if o.TLSOnly {
		if err := s.writeHBA(); err != nil {
			return nil, err
		}
	}
	s.opts = fmt.Sprintf("-c listen_addresses=%s -c port=%d -c unix_socket_directories=%s -c ssl=on",
		s.Host, s.Port, sock)
	if !o.Durable {
		s.opts += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
	}
	return s, s.Resume()
}

// DataDir is the server's data directory.
func (s *Server) DataDir() string { return s.dataDir }

// serveTLS gives the server a certificate for Host signed by ca, in the data
// directory where PostgreSQL looks by default (server.crt, server.key, the
// key readable by the server's user only).
func (s *Server) serveTLS(ca pki.Pair) error {
	srv, err := pki.IssueServer(ca, []string{s.Host, "localhost"}, time.Now())
	if err != nil {
		return err
	}
	for name, b := range map[string][]byte{"server.crt": srv.Cert, "server.key": srv.Key} {
		if err := s.writeOwnFile(name, b); err != nil {
			return errors.Wrap(err, "cannot write the server certificate")
		}
	}
	return nil
}

// hbaTLSOnly takes host logins over TLS only, with a password; the socket
// stays trusted for pg_ctl and for the server's own procedures.
const hbaTLSOnly = `# Written by pgserver: host logins over TLS only.
local   all  all                 trust
hostssl all  all  0.0.0.0/0      scram-sha-256
hostssl all  all  ::/0           scram-sha-256
`

func (s *Server) writeHBA() error {
	return errors.Wrap(s.writeOwnFile("pg_hba.conf", []byte(hbaTLSOnly)), "cannot write pg_hba.conf")
}

// writeOwnFile writes a file into the data directory that only the server's
// user reads.
func (s *Server) writeOwnFile(name string, b []byte) error {
	p := filepath.Join(s.dataDir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		return err
	}
	return OSUser.Chown(p)
}

// Resume starts a stopped server again, on the same port with the same
// data, as a server back from an outage would be.
func (s *Server) Resume() error {
	if out, err := run(filepath.Join(BinDir, "pg_ctl"), "-D", s.dataDir, "-l", s.logFile, "-o", s.opts, "-w", "start"); err != nil {
		log, _ := os.ReadFile(s.logFile)
		return errors.Wrapf(err, "cannot start PostgreSQL: %s\n%s", out, log)
	}
	return nil
}

// Stop stops the server, ending its connections.
func (s *Server) Stop() error { return Stop(s.dataDir) }

// run runs a server binary, as the server's user when we are root.
func run(bin string, args ...string) ([]byte, error) {
	cmd, err := OSUser.Command(bin, args...)
	if err != nil {
		return nil, err
	}
	return cmd.CombinedOutput()
}
