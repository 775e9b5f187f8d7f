package postgresql

import (
	"context"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/testing/integration"
)

// newPool returns a pool of admin sessions, closed when the test ends.
func newPool(t *testing.T, maxConns int32) *Pool {
	t.Helper()
	integration.Needs(t, "PostgreSQL 15 (make deps)")
	p, err := NewPool(adminConfig(), PoolOptions{MaxConns: maxConns, MaxConnIdleTime: time.Minute, HealthCheckPeriod: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// borrow lends a client and returns it with its session's backend pid.
func borrow(t *testing.T, p *Pool) (*Client, int32) {
	t.Helper()
	c, err := p.Client(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var pid int32
	if err := c.conn.QueryRow(context.Background(), "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return c, pid
}

// TestPoolSessions: a session comes back to the next borrower as it was
// left, unless it may have been changed; what the next reconcile would
// inherit decides which.
func TestPoolSessions(t *testing.T) {
	ctx := context.Background()
	p := newPool(t, 1)

	c, first := borrow(t, p)
	if _, err := c.ObserveDatabase(ctx, "postgres"); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	c, pid := borrow(t, p)
	if pid != first {
		t.Errorf("after a plain reconcile the next one got backend %d, want the same session %d", pid, first)
	}

	// An administrator's routine may change the session: here it sets a
	// setting for the rest of the session.
	if _, err := c.CallProcedure(ctx, dbms.Call{Procedure: "pg_catalog.set_config",
		Args: []dbms.Arg{{Value: "application_name"}, {Value: "tainted"}, {Value: "false"}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	c, pid = borrow(t, p)
	if pid == first {
		t.Error("a session an administrator's routine ran on was handed out again")
	}
	var app string
	if err := c.conn.QueryRow(ctx, "SHOW application_name").Scan(&app); err != nil {
		t.Fatal(err)
	}
	if app == "tainted" {
		t.Error("the next reconcile inherited a setting of the last one's routine")
	}

	// A transaction left open (a statement failed and the caller gave up)
	// is ended by pgxpool, not handed over.
	second := pid
	if _, err := c.conn.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	c, pid = borrow(t, p)
	if pid == second {
		t.Error("a session inside a transaction was handed out again")
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := p.Sessions(); got > 1 {
		t.Errorf("the pool holds %d sessions, want at most MaxConns 1", got)
	}
}
