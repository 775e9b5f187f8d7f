package postgresql

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/executor"

	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// replicaOf makes r a running replica of the running primary p through
// slot, as the controller does: the provider's roles first (a rejoin
// later reads its new primary as the rewind role), then the replication
// user and slot.
func replicaOf(t *testing.T, r, p *Instance, member, admin, repl string) {
	t.Helper()
	ctx := context.Background()
	slot := SlotName(member)
	if err := p.EnsureRoles(ctx, admin); err != nil {
		t.Fatalf("EnsureRoles: %v", err)
	}
	if err := p.EnsureReplication(ctx, admin, repl, []string{slot}, false); err != nil {
		t.Fatalf("EnsureReplication: %v", err)
	}
	if !initialized(t, r) {
		if err := r.InitReplica(ctx, p.Host, p.Port, slot, repl); err != nil {
			t.Fatalf("InitReplica: %v", err)
		}
	}
	if _, err := r.WritePassFile(ctx, repl); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Configure(ctx, Settings{Port: r.Port, SocketDir: r.SocketDir(), Replication: &Replication{
		Member: member, PrimaryConnInfo: ConnInfo(p.Host, p.Port, member, r.PassFile(), r.CAFile()), PrimarySlotName: slot,
	}}); err != nil {
		t.Fatalf("Configure replica: %v", err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatalf("Start replica: %v", err)
	}
}

func waitRow(t *testing.T, i *Instance, admin, query, want string) {
	t.Helper()
	ctx := context.Background()
	var got string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		c, err := i.ConnectAdmin(ctx, admin)
		if err != nil {
			continue
		}
		err = c.QueryRow(ctx, query).Scan(&got)
		_ = c.Close(ctx)
		if err == nil && got == want {
			return
		}
	}
	t.Errorf("%s on port %d: want %q, got %q", query, i.Port, want, got)
}

// writeAndSee creates a table with one row on the primary p and waits
// until the replica r has it.
func writeAndSee(t *testing.T, p, r *Instance, admin string) {
	t.Helper()
	ctx := context.Background()
	c, err := p.ConnectAdmin(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "CREATE TABLE t (v text); INSERT INTO t VALUES ('before')"); err != nil {
		t.Fatal(err)
	}
	_ = c.Close(ctx)
	waitRow(t, r, admin, "SELECT string_agg(v, ',') FROM t", "before")
}

// TestSwitchover stops a primary cleanly, promotes its replica once it
// replayed everything, and brings the former primary back as the new
// primary's replica with pg_rewind.
func TestSwitchover(t *testing.T) {
	ctx := context.Background()
	const admin, repl = "admin:pw", "repl-pw"
	dir := testenv.SharedDir(t)
	a := NewInstance(executor.Local{}, filepath.Join(dir, "a"), "pg", "15", freePort(t), "admin")
	b := NewInstance(executor.Local{}, filepath.Join(dir, "b"), "pg", "15", freePort(t), "admin")
	stopOnCleanup(t, a)
	stopOnCleanup(t, b)
	if err := a.Init(ctx, admin); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Configure(ctx, Settings{Port: a.Port, SocketDir: a.SocketDir(), Replication: &Replication{Member: "a"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AllowReplication(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	replicaOf(t, b, a, "b", admin, repl)
	writeAndSee(t, a, b, admin)

	start := time.Now()
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	lsn, err := a.CheckpointLSN(ctx)
	if err != nil || lsn == "" {
		t.Fatalf("CheckpointLSN: %q, %v", lsn, err)
	}
	if err := b.WaitReplayed(ctx, admin, lsn, 30*time.Second); err != nil {
		t.Fatalf("WaitReplayed(%s): %v", lsn, err)
	}
	// Twice: promoting a primary is a no-op.
	for range 2 {
		if err := b.Promote(ctx, admin, false); err != nil {
			t.Fatalf("Promote: %v", err)
		}
	}
	if standby(t, b) {
		t.Errorf("Promote: want standby.signal gone")
	}
	if _, err := b.Configure(ctx, Settings{Port: b.Port, SocketDir: b.SocketDir(), Replication: &Replication{Member: "b"}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(ctx, admin, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AllowReplication(ctx); err != nil {
		t.Fatal(err)
	}
	// The former primary kept a slot; it must not keep it as a replica.
	if err := os.MkdirAll(filepath.Join(a.DataDir(), replSlotDir, "dbaas_stale"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := a.Rejoin(ctx, b, admin); err != nil {
		t.Fatalf("Rejoin: %v", err)
	}
	if !standby(t, a) {
		t.Errorf("Rejoin: want standby.signal")
	}
	if _, err := os.Stat(filepath.Join(a.DataDir(), replSlotDir, "dbaas_stale")); !os.IsNotExist(err) {
		t.Errorf("Rejoin: want the former primary's slots removed, stat says %v", err)
	}
	if _, err := os.Stat(filepath.Join(a.Dir, rewindPass)); !os.IsNotExist(err) {
		t.Errorf("Rejoin: want the admin password file removed, stat says %v", err)
	}
	replicaOf(t, a, b, "a", admin, repl)
	t.Logf("switched over in %s", time.Since(start).Round(time.Millisecond))

	bc, err := b.Connect(ctx, "admin", admin, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close(ctx)
	if _, err := bc.Exec(ctx, "INSERT INTO t VALUES ('after')"); err != nil {
		t.Fatalf("write on the new primary: %v", err)
	}
	waitRow(t, a, admin, "SELECT string_agg(v, ',' ORDER BY v) FROM t", "after,before")
	// The promotion's checkpoint runs in the background; one on demand
	// makes the control file tell the new timeline.
	var tli int
	if _, err := bc.Exec(ctx, "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	if err := bc.QueryRow(ctx, "SELECT timeline_id FROM pg_control_checkpoint()").Scan(&tli); err != nil || tli != 2 {
		t.Errorf("new primary: want timeline 2, got %d, %v", tli, err)
	}
	if bs, err := b.Status(ctx, admin); err != nil || bs.Timeline != 2 || bs.InRecovery || bs.Streaming {
		t.Errorf("new primary Status: want timeline 2, not in recovery, no stream of its own, got %+v, %v", bs, err)
	}
	as, err := a.Status(ctx, admin)
	if err != nil || !as.InRecovery {
		t.Errorf("former primary: want it in recovery, got %+v, %v", as, err)
	}
}

// TestPromoteLiftsReadOnly: a replica whose postgresql.auto.conf holds the
// read-only default a self-fencing watchdog leaves behind (pg_rewind copies
// it from a fenced primary) takes writes once promoted.
func TestPromoteLiftsReadOnly(t *testing.T) {
	ctx := context.Background()
	const admin, repl = "admin:pw", "repl-pw"
	dir := testenv.SharedDir(t)
	a := NewInstance(executor.Local{}, filepath.Join(dir, "a"), "pg", "15", freePort(t), "admin")
	b := NewInstance(executor.Local{}, filepath.Join(dir, "b"), "pg", "15", freePort(t), "admin")
	stopOnCleanup(t, a)
	stopOnCleanup(t, b)
	if err := a.Init(ctx, admin); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Configure(ctx, Settings{Port: a.Port, SocketDir: a.SocketDir(), Replication: &Replication{Member: "a"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AllowReplication(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	replicaOf(t, b, a, "b", admin, repl)
	c, err := b.Connect(ctx, b.AdminUser, admin, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "ALTER SYSTEM SET default_transaction_read_only = on"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// With the reload a sync failover asks for, which reads the files
	// before the promotion.
	if err := b.Promote(ctx, admin, true); err != nil {
		t.Fatal(err)
	}
	// The reload is asynchronous: a new session sees it once the
	// postmaster has taken it up.
	deadline := time.Now().Add(time.Minute)
	for {
		w, err := b.Connect(ctx, b.AdminUser, admin, "postgres")
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.Exec(ctx, "CREATE TABLE after_promote (v int)")
		_ = w.Close(ctx)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the promoted replica still refuses writes: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
