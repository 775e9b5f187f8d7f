package executor

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/testing/integration"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
)

// TestQueryOverSSHSocketEndsWithContext runs pgx against a real
// PostgreSQL 15 through its unix socket over SSH, as the provider reaches
// a member's socket, and shows that a query whose context ends returns
// instead of waiting for the server: pgx interrupts it by setting a
// deadline, which the SSH channel alone refuses.
func TestQueryOverSSHSocketEndsWithContext(t *testing.T) {
	integration.Needs(t, "PostgreSQL 15 (make deps)")
	srv := pgtest.Start(t)
	// pgtest's server keeps its socket beside its data directory.
	socket := filepath.Join(filepath.Dir(srv.DataDir()), "sock", ".s.PGSQL."+strconv.Itoa(srv.Port))
	var e *SSH
	for _, x := range executors(t) {
		if s, ok := x.(*SSH); ok {
			e = s
		}
	}
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		t.Fatal(err)
	}
	// The host is a directory, so pgx asks for a unix socket; DialFunc
	// takes it over SSH.
	cfg.Host, cfg.Port, cfg.User, cfg.Database = filepath.Dir(socket), uint16(srv.Port), pgtest.AdminUser, "postgres"
	cfg.ConnectTimeout = 2 * time.Minute
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if network != "unix" || addr != socket {
			return nil, errors.Errorf("pgx dialled %s %s, want unix %s", network, addr, socket)
		}
		return e.DialUnix(ctx, addr)
	}
	ctx := context.Background()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("cannot connect over the socket through SSH: %v", err)
	}
	defer c.Close(ctx)
	var one int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 over the socket: %d, %v", one, err)
	}

	qctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := c.Exec(qctx, "SELECT pg_sleep(3600)"); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("an hour's pg_sleep returned without an error")
		}
	case <-time.After(guard):
		t.Fatal("a query over the SSH socket did not return after its context ended")
	}
}
