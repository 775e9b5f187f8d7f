package mysql

import (
	"context"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// TestPoolSessions: reconciles share a pool's connection, but never one an
// administrator's procedure ran on: it may have left the session changed
// (here a user variable; the server restores the character set, which
// quoteString depends on, and the test checks that too).
func TestPoolSessions(t *testing.T) {
	ctx := context.Background()
	p, err := NewPool(adminConfig(t), dbms.PoolOptions{MaxConns: 1, MaxConnIdleTime: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	exec(t,
		"CREATE DATABASE pool_db",
		"CREATE PROCEDURE pool_db.taint() BEGIN SET character_set_client = 'gbk'; SET @tainted = 1; SELECT 1 AS done; END",
	)
	t.Cleanup(func() { exec(t, "DROP DATABASE pool_db") })
	// borrow lends a client and returns it with its connection's id and
	// its character set and user variable.
	borrow := func() (*Client, int64, string) {
		t.Helper()
		c, err := p.Client(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		var charset string
		if err := c.db.QueryRowContext(ctx, "SELECT CONNECTION_ID(), CONCAT(@@SESSION.character_set_client, ' ', COALESCE(@tainted, 'clean'))").Scan(&id, &charset); err != nil {
			t.Fatal(err)
		}
		return c, id, charset
	}

	c, first, _ := borrow()
	if _, err := c.ObserveDatabase(ctx, "pool_db"); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	c, id, _ := borrow()
	if id != first {
		t.Errorf("the next reconcile got connection %d, want the same %d", id, first)
	}
	if _, err := c.CallProcedure(ctx, dbms.Call{Procedure: "pool_db.taint"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	_, id, session := borrow()
	if session != "utf8mb4 clean" {
		t.Errorf("the next reconcile's session has character set and variable %q, want \"utf8mb4 clean\"", session)
	}
	if id == first {
		t.Error("the connection a procedure ran on was lent again")
	}
	if got := p.Sessions(); got != 1 {
		t.Errorf("the pool holds %d connections, want MaxConns 1", got)
	}
}
