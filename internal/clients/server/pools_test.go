package server

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
)

// TestPoolKeys: credentials that differ in anything that decides the login
// never share a pool; the key never holds the password.
func TestPoolKeys(t *testing.T) {
	ps := NewPools()
	base := dbms.Config{Engine: dbms.PostgreSQL, Host: "db", Port: 5432, User: "admin", Password: "s3cret-pw",
		TLS: dbms.TLS{Mode: dbms.TLSVerifyFull, CA: []byte("CA"), Cert: []byte("CERT"), Key: []byte("KEY"), ServerName: "db.internal"}}
	baseSlot, baseKey := ps.keys(base)
	cases := map[string]struct {
		reason   string
		mod      func(c *dbms.Config)
		sameSlot bool
		sameKey  bool
	}{
		"Same":       {reason: "The same credentials share a pool: they are one identity", mod: func(*dbms.Config) {}, sameSlot: true, sameKey: true},
		"Password":   {reason: "Another password is another pool", mod: func(c *dbms.Config) { c.Password = "other" }, sameSlot: true},
		"CA":         {reason: "Another CA is another pool", mod: func(c *dbms.Config) { c.TLS.CA = []byte("CA2") }, sameSlot: true},
		"ClientCert": {reason: "Another client certificate is another pool", mod: func(c *dbms.Config) { c.TLS.Cert = []byte("CERT2") }, sameSlot: true},
		"ClientKey":  {reason: "Another client key is another pool", mod: func(c *dbms.Config) { c.TLS.Key = []byte("KEY2") }, sameSlot: true},
		"Mode":       {reason: "Another TLS mode is another pool", mod: func(c *dbms.Config) { c.TLS.Mode = dbms.TLSRequire }, sameSlot: true},
		"ServerName": {reason: "Another verified name is another pool", mod: func(c *dbms.Config) { c.TLS.ServerName = "x" }, sameSlot: true},
		"ShiftedField": {reason: "Bytes moved from one field to the next are another pool",
			mod: func(c *dbms.Config) { c.TLS.CA, c.TLS.Cert = []byte("CAC"), []byte("ERT") }, sameSlot: true},
		"User":     {reason: "Another account is another slot", mod: func(c *dbms.Config) { c.User = "app" }},
		"Database": {reason: "Another database is another slot", mod: func(c *dbms.Config) { c.Database = "orders" }},
		"Port":     {reason: "Another server is another slot", mod: func(c *dbms.Config) { c.Port = 5433 }},
		"Size": {reason: "Another pool size is another slot: a config never gets a pool of another's size",
			mod: func(c *dbms.Config) { c.MaxConns = DefaultMaxConns + 1 }},
		"DefaultSize": {reason: "Asking for the default size is asking for the default pool",
			mod: func(c *dbms.Config) { c.MaxConns = DefaultMaxConns }, sameSlot: true, sameKey: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := base
			tc.mod(&cfg)
			slot, key := ps.keys(cfg)
			if (slot == baseSlot) != tc.sameSlot || (key == baseKey) != tc.sameKey {
				t.Errorf("%s: same slot %v, same key %v; want %v, %v", tc.reason, slot == baseSlot, key == baseKey, tc.sameSlot, tc.sameKey)
			}
			if strings.Contains(key, cfg.Password) {
				t.Errorf("%s: the key holds the password", tc.reason)
			}
		})
	}
	if _, key := NewPools().keys(base); key == baseKey {
		t.Error("two providers' keys of one password are equal: the digest is not keyed")
	}
}

// poolEnv is a PostgreSQL server and an admin session on it.
type poolEnv struct {
	pg    *pgtest.Server
	admin *pgx.Conn
}

// role makes a login role with password and returns the config of its
// sessions.
func (e poolEnv) role(t *testing.T, name, password string) dbms.Config {
	t.Helper()
	if _, err := e.admin.Exec(context.Background(), fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", name, password)); err != nil {
		t.Fatal(err)
	}
	return dbms.Config{Engine: dbms.PostgreSQL, Host: e.pg.Host, Port: e.pg.Port, User: name, Password: password,
		TLS: dbms.TLS{Mode: dbms.TLSDisable}}
}

// backends returns the pids of role's sessions.
func (e poolEnv) backends(t *testing.T, role string) []int32 {
	t.Helper()
	rows, err := e.admin.Query(context.Background(), "SELECT pid FROM pg_stat_activity WHERE usename = $1 ORDER BY pid", role)
	if err != nil {
		t.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

// waitBackends waits until role has want sessions. Backends end
// asynchronously, so this waits by condition with a generous deadline.
func (e poolEnv) waitBackends(t *testing.T, role string, want int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		got := e.backends(t, role)
		if len(got) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("role %s has %d sessions, want %d", role, len(got), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// reconcileOn is what one reconcile does with a server: borrow, ask, give
// back.
func reconcileOn(ctx context.Context, ps *Pools, cfg dbms.Config) error {
	s, err := ps.Open(ctx, cfg)
	if err != nil {
		return err
	}
	_, err = s.ObserveDatabase(ctx, "postgres")
	if cerr := s.Close(ctx); err == nil {
		err = cerr
	}
	return err
}

// TestPools: reconciles share sessions; sessions of replaced, broken or
// unused credentials end; no pool outgrows its bound. One server serves
// every step, each with its own role, so that counts do not mix.
func TestPools(t *testing.T) {
	ctx := context.Background()
	pg := pgtest.Start(t)
	e := poolEnv{pg: pg, admin: pg.Admin(t)}
	goroutines := runtime.NumGoroutine()
	ps := NewPools()

	t.Run("ReusedAcrossReconciles", func(t *testing.T) {
		cfg := e.role(t, "reuse", "pw-reuse")
		seen := map[int32]bool{}
		for range 10 {
			if err := reconcileOn(ctx, ps, cfg); err != nil {
				t.Fatal(err)
			}
			for _, pid := range e.backends(t, "reuse") {
				seen[pid] = true
			}
		}
		if len(seen) != 1 {
			t.Errorf("10 reconciles logged in %d times, want once", len(seen))
		}
	})

	t.Run("ClosedWhenCredentialsChange", func(t *testing.T) {
		cfg := e.role(t, "rotate", "pw-old")
		if err := reconcileOn(ctx, ps, cfg); err != nil {
			t.Fatal(err)
		}
		old := e.backends(t, "rotate")
		// Credentials that do not work do not close the pool of those
		// that do.
		wrong := cfg
		wrong.Password = "pw-guess"
		if err := reconcileOn(ctx, ps, wrong); err == nil || strings.Contains(err.Error(), wrong.Password) {
			t.Fatalf("a wrong password: err = %v, want a login error without the password", err)
		}
		if got := e.backends(t, "rotate"); len(got) != 1 || got[0] != old[0] {
			t.Fatalf("after a failed login with other credentials the sessions are %v, want the working one %v", got, old)
		}
		// A reconcile still holding a session of the old password finishes
		// with it: its pool closes once the session is back.
		held, err := ps.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.admin.Exec(ctx, "ALTER ROLE rotate PASSWORD 'pw-new'"); err != nil {
			t.Fatal(err)
		}
		cfg.Password = "pw-new"
		if err := reconcileOn(ctx, ps, cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := held.ObserveDatabase(ctx, "postgres"); err != nil {
			t.Errorf("a reconcile holding a session of the replaced password: %v", err)
		}
		if err := held.Close(ctx); err != nil {
			t.Fatal(err)
		}
		// The old session ends; the new one stays.
		e.waitBackends(t, "rotate", 1)
		if got := e.backends(t, "rotate"); got[0] == old[0] {
			t.Errorf("the session of the replaced password %d is still open", old[0])
		}
	})

	t.Run("BrokenSessionNotLent", func(t *testing.T) {
		cfg := e.role(t, "broken", "pw-broken")
		if err := reconcileOn(ctx, ps, cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := e.admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'broken'"); err != nil {
			t.Fatal(err)
		}
		e.waitBackends(t, "broken", 0)
		if err := reconcileOn(ctx, ps, cfg); err != nil {
			t.Errorf("the reconcile after the server ended the pool's session: %v, want a fresh session", err)
		}
	})

	t.Run("BoundedUnderConcurrentUse", func(t *testing.T) {
		// The config's maxConnections, below the workers, bounds its pool;
		// the same config at the default size is another pool.
		cfg := e.role(t, "busy", "pw-busy")
		const size = 3
		cfg.MaxConns = size
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for range 8 {
			wg.Go(func() {
				for range 5 {
					errs <- reconcileOn(ctx, ps, cfg)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := len(e.backends(t, "busy")); got > size || got == 0 {
			t.Errorf("8 concurrent workers left %d sessions, want 1 to %d", got, size)
		}
		// With every session lent, the next reconcile waits for one.
		var held []dbms.Server
		for range size {
			s, err := ps.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, s)
		}
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if _, err := ps.Open(short, cfg); err == nil {
			t.Errorf("a reconcile got a session beyond the bound of %d", size)
		}
		if got := len(e.backends(t, "busy")); got != size {
			t.Errorf("the server has %d sessions of the pool, want %d", got, size)
		}
		// The same account at the default size, as another config may
		// ask, is another pool: it gets a session while this one is full,
		// and does not close it as replaced credentials.
		other := cfg
		other.MaxConns = 0
		bounded, cancelBounded := context.WithTimeout(ctx, time.Minute)
		defer cancelBounded()
		o, err := ps.Open(bounded, other)
		if err != nil {
			t.Fatalf("the default-sized pool of the same account while the sized one is full: %v", err)
		}
		held = append(held, o)
		if got := len(e.backends(t, "busy")); got != size+1 {
			t.Errorf("the server has %d sessions of the two pools, want %d", got, size+1)
		}
		for _, s := range held {
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("SessionHeldOnlyWhileAStatementRuns", func(t *testing.T) {
		// A reconcile keeps its client from Connect to its end, across the
		// API server writes after its statements; its session must not be
		// kept as long, or more reconciles than sessions queue on the pool.
		cfg := e.role(t, "between", "pw-between")
		const size = 4
		cfg.MaxConns = size
		var clients []dbms.Server
		// On failure, the clients go back, so that the pools can close.
		t.Cleanup(func() {
			for _, s := range clients {
				_ = s.Close(ctx)
			}
		})
		// Bounded so that a client keeping its session fails the test
		// instead of hanging it; not a performance expectation.
		bounded, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		for range size + 2 {
			s, err := ps.Open(bounded, cfg)
			if err != nil {
				t.Fatalf("a client while %d others are open between statements: %v", len(clients), err)
			}
			if _, err := s.ObserveDatabase(ctx, "postgres"); err != nil {
				t.Fatal(err)
			}
			clients = append(clients, s)
		}
		// Every open client runs a second statement, on a session
		// borrowed for it: the one it had is back in the pool.
		for _, s := range clients {
			if o, err := s.ObserveDatabase(ctx, "postgres"); err != nil || o == nil {
				t.Fatalf("a later statement of an open client: %v, %v; want the postgres database", o, err)
			}
		}
		if got := len(e.backends(t, "between")); got > size || got == 0 {
			t.Errorf("%d open clients left %d sessions, want 1 to %d", len(clients), got, size)
		}
		for _, s := range clients {
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("UnusedPoolsClosed", func(t *testing.T) {
		cfg := e.role(t, "unused", "pw-unused")
		if err := reconcileOn(ctx, ps, cfg); err != nil {
			t.Fatal(err)
		}
		ps.Sweep(time.Now())
		if got := len(e.backends(t, "unused")); got != 1 {
			t.Errorf("a pool just used was closed: %d sessions, want 1", got)
		}
		ps.Sweep(time.Now().Add(ps.IdleAfter + time.Second))
		e.waitBackends(t, "unused", 0)
		e.waitBackends(t, "busy", 0)
		e.waitBackends(t, "between", 0)
	})

	t.Run("StopEndsEverything", func(t *testing.T) {
		cfg := e.role(t, "stop", "pw-stop")
		if err := reconcileOn(ctx, ps, cfg); err != nil {
			t.Fatal(err)
		}
		run, cancel := context.WithCancel(ctx)
		done := make(chan error)
		go func() { done <- ps.Start(run) }()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		// Close has ended the sessions; their backends exit on their own.
		e.waitBackends(t, "stop", 0)
		e.waitBackends(t, "reuse", 0)
		// A stopped provider's last reconciles still work, unpooled.
		if err := reconcileOn(ctx, ps, cfg); err != nil {
			t.Fatal(err)
		}
		e.waitBackends(t, "stop", 0)
		// pgxpool's goroutines (health checks, closing sessions) end; this
		// subtest's own is the one more than before.
		deadline := time.Now().Add(time.Minute)
		for runtime.NumGoroutine() > goroutines+1 {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Fatalf("%d goroutines run after the pools stopped, %d before they started:\n%s",
					runtime.NumGoroutine(), goroutines, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
