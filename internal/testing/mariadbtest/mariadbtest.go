/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package mariadbtest starts a throwaway MariaDB server for tests, so that
// the MySQL/MariaDB client is tested against the real engine rather than a
// fake that would accept SQL the server rejects.
package mariadbtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/ports"
	"github.com/dbaas-io/dbaas/internal/testing/testproc"
)

// Binaries of Debian's mariadb-server package (make deps installs it).
const (
	ServerBin    = "/usr/sbin/mariadbd"
	InstallDBBin = "/usr/bin/mariadb-install-db"
)

// AdminUser is the account, with every privilege and the grant option, that
// tests log in as over TCP with Password.
const AdminUser = "admin"

// A Server is a running MariaDB server that accepts password logins on
// Host:Port, and TLS signed by CA.
type Server struct {
	Host     string
	Port     int
	User     string
	Password string
	// CA is the PEM certificate that signed the server's certificate, which
	// names 127.0.0.1 and localhost.
	CA []byte

	root    string
	dataDir string
	tmpDir  string
	socket  string
	logFile string
	proc    *testproc.Process
}

// Start runs a server for the test and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return testproc.Start(t, "mariadbtest-", "MariaDB", New)
}

// New initialises and starts a server below baseDir, which must exist. The
// caller stops it with Stop. Use it from TestMain, where no testing.TB exists,
// to share one server between the tests of a package.
func New(baseDir string) (*Server, error) {
	if _, err := os.Stat(ServerBin); err != nil {
		return nil, errors.Wrap(err, "MariaDB is not installed (run make deps)")
	}
	root, err := testproc.Root(baseDir, "mariadb")
	if err != nil {
		return nil, err
	}
	s := &Server{
		Host:     "127.0.0.1",
		User:     AdminUser,
		Password: testproc.Password(),
		root:     root,
		dataDir:  filepath.Join(root, "data"),
		tmpDir:   filepath.Join(root, "tmp"),
		socket:   filepath.Join(root, "mariadb.sock"),
		logFile:  filepath.Join(root, "server.log"),
	}
	for _, d := range []string{s.dataDir, s.tmpDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, errors.Wrap(err, "cannot create the server's directories")
		}
	}
	ca, err := writeCertificates(root)
	if err != nil {
		return nil, err
	}
	s.CA = ca
	if err := serverUser.Chown(root); err != nil {
		return nil, err
	}
	if err := s.install(); err != nil {
		return nil, err
	}
	if err := ports.StartOnFree(s.start); err != nil {
		return nil, err
	}
	if err := s.createAdmin(); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// Stop stops the server, ending its connections.
func (s *Server) Stop() error {
	if s.proc == nil {
		return nil
	}
	err := s.proc.Stop()
	s.proc = nil
	return err
}

// install creates the system tables. root@localhost gets no password
// ("normal" rather than unix_socket authentication, which would tie it to
// the name of the OS user running the tests); it is reachable only through
// the private socket, where it sets up the admin account.
func (s *Server) install() error {
	args := append([]string{"--no-defaults", "--datadir=" + s.dataDir, "--tmpdir=" + s.tmpDir,
		"--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"},
		tuning...)
	cmd, err := serverUser.Command(InstallDBBin, args...)
	if err != nil {
		return err
	}
	out, err := cmd.CombinedOutput()
	return errors.Wrapf(err, "cannot run mariadb-install-db: %s", out)
}
