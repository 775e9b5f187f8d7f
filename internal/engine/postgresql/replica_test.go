package postgresql

import (
	"context"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/executor"

	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// TestPrimaryAndReplica builds a primary and a streaming replica from the
// engine's parts, as the controller does, and checks a row reaches the
// replica.
func TestPrimaryAndReplica(t *testing.T) {
	ctx := context.Background()
	const admin, repl = "admin-pw", "repl:pw\\x"
	dir := testenv.SharedDir(t)
	p := NewInstance(executor.Local{}, filepath.Join(dir, "m0"), "pg", "15", freePort(t), "admin")
	r := NewInstance(executor.Local{}, filepath.Join(dir, "m1"), "pg", "15", freePort(t), "admin")
	stopOnCleanup(t, p)
	stopOnCleanup(t, r)

	start := time.Now()
	if err := p.Init(ctx, admin); err != nil {
		t.Fatalf("Init: %v", err)
	}
	if _, err := p.Configure(ctx, Settings{Port: p.Port, SocketDir: p.SocketDir(), Replication: &Replication{Member: "m0"}}); err != nil {
		t.Fatalf("Configure primary: %v", err)
	}
	for range 2 {
		changed, err := p.AllowReplication(ctx)
		if err != nil {
			t.Fatalf("AllowReplication: %v", err)
		}
		if changed != !running(t, p) {
			t.Errorf("AllowReplication: want the line added once, changed=%v on the second call", changed)
		}
		if err := p.Start(ctx); err != nil {
			t.Fatalf("Start primary: %v", err)
		}
	}
	slot := SlotName("m1")
	// Twice: the second call finds everything in place, the replication
	// user's password too (a new verifier would have a new salt).
	var verifiers []string
	for range 2 {
		if err := p.EnsureReplication(ctx, admin, repl, []string{slot}, false); err != nil {
			t.Fatalf("EnsureReplication: %v", err)
		}
		verifiers = append(verifiers, replicationVerifier(ctx, t, p, admin))
	}
	if verifiers[0] != verifiers[1] {
		t.Errorf("EnsureReplication: the second call set the replication user's password again")
	}
	if err := r.InitReplica(ctx, p.Host, p.Port, slot, repl); err != nil {
		t.Fatalf("InitReplica: %v", err)
	}
	if !standby(t, r) {
		t.Errorf("InitReplica: want standby.signal")
	}
	if _, err := r.Configure(ctx, Settings{Port: r.Port, SocketDir: r.SocketDir(), Replication: &Replication{
		Member: "m1", PrimaryConnInfo: ConnInfo(p.Host, p.Port, "m1", r.PassFile(), r.CAFile()), PrimarySlotName: slot,
	}}); err != nil {
		t.Fatalf("Configure replica: %v", err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatalf("Start replica: %v", err)
	}
	t.Logf("primary and replica running after %s", time.Since(start).Round(time.Millisecond))

	pc, err := p.Connect(ctx, "admin", admin, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(ctx)
	if _, err := pc.Exec(ctx, "CREATE TABLE t (v text); INSERT INTO t VALUES ('hello')"); err != nil {
		t.Fatal(err)
	}
	rc, err := r.Connect(ctx, "admin", admin, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close(ctx)
	var got string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err := rc.QueryRow(ctx, "SELECT v FROM t").Scan(&got); err == nil {
			break
		}
	}
	if got != "hello" {
		t.Errorf("want the primary's row on the replica, got %q", got)
	}

	s, err := r.Status(ctx, admin)
	if err != nil || !s.Ready || !s.InRecovery || s.LSN == "" {
		t.Errorf("replica Status: want ready, in recovery, with an LSN: %+v, %v", s, err)
	}
	ps, err := p.Status(ctx, admin)
	if err != nil || !ps.Ready || ps.InRecovery || ps.LSN == "" {
		t.Errorf("primary Status: want ready, not in recovery, with an LSN: %+v, %v", ps, err)
	}
	var snd Senders
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if snd, err = p.Senders(ctx, admin); err == nil && snd.ByName["m1"].State == "streaming" {
			break
		}
	}
	if s := snd.ByName["m1"]; s.State != "streaming" || s.SyncState != "async" || s.LagBytes < 0 {
		t.Errorf("Senders: want m1 streaming async, got %+v (%v)", snd, err)
	}
	// The replica reports its own stream, from its primary's address.
	s, err = r.Status(ctx, admin)
	if want := net.JoinHostPort(Address, strconv.Itoa(int(p.Port))); err != nil || !s.Streaming || s.Upstream != want || s.Timeline != 1 {
		t.Errorf("replica Status: want streaming from %s on timeline 1, got %+v, %v", want, s, err)
	}
	if ps.Streaming || ps.Upstream != "" || ps.Timeline != 1 {
		t.Errorf("primary Status: want no stream of its own on timeline 1, got %+v", ps)
	}
	if strings.Join(snd.Slots, ",") != slot {
		t.Errorf("Senders: want the provider's slots [%s], got %v", slot, snd.Slots)
	}
	var active bool
	if err := pc.QueryRow(ctx, "SELECT active FROM pg_replication_slots WHERE slot_name = $1", slot).Scan(&active); err != nil || !active {
		t.Errorf("slot %s: want active, got %v, %v", slot, active, err)
	}

	// The password reaches the replica through its password file only.
	_ = filepath.WalkDir(r.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == r.PassFile() {
			return nil //nolint:nilerr // What cannot be read holds no password to find.
		}
		b, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(b), repl) {
			t.Errorf("the replication password is in %s", path)
		}
		return nil
	})
	if fi, err := os.Stat(r.PassFile()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("password file: want mode 0600, got %v, %v", fi, err)
	}
}

// replicationVerifier is the replication user's stored SCRAM verifier.
func replicationVerifier(ctx context.Context, t *testing.T, i *Instance, admin string) string {
	t.Helper()
	c, err := i.ConnectAdmin(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var v string
	if err := c.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = $1", ReplicationUser).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
