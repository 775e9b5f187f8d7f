// Package pgtest starts a throwaway PostgreSQL server for tests, so that SQL
// clients and controllers are tested against the real engine rather than a
// fake that would accept SQL the server rejects.
package pgtest

import (
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/pki"
	"github.com/dbaas-io/dbaas/internal/pgserver"
	"github.com/dbaas-io/dbaas/internal/ports"
	"github.com/dbaas-io/dbaas/internal/testing/testproc"
)

// BinDir holds the PostgreSQL 15 server binaries on the test machines.
const BinDir = pgserver.BinDir

// AdminUser is the superuser the server is initialised with.
const AdminUser = "postgres"

// A Server is a running PostgreSQL server that accepts password (SCRAM)
// logins on Host:Port. Its certificate's CA is its own; the server also
// takes plain connections, for clients tested with TLS disabled.
type Server struct {
	*pgserver.Server
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
	ca, err := pki.NewCA("pgtest CA", time.Now())
	if err != nil {
		return nil, err
	}
	port, err := ports.Free()
	if err != nil {
		return nil, err
	}
	s, err := pgserver.Start(pgserver.Options{
		Dir:       root,
		Host:      "127.0.0.1",
		Port:      port,
		AdminUser: AdminUser,
		Password:  testproc.Password(),
		CA:        ca,
	})
	if err != nil {
		return nil, err
	}
	return &Server{Server: s}, nil
}
