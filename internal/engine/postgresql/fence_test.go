package postgresql

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/executor"

	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

func TestParseLSN(t *testing.T) {
	for in, want := range map[string]uint64{"0/0": 0, "0/3000148": 0x3000148, "16/B374D848": 0x16<<32 | 0xB374D848} {
		if got, err := ParseLSN(in); err != nil || got != want {
			t.Errorf("ParseLSN(%q): want %d, got %d, %v", in, want, got, err)
		}
	}
	for _, in := range []string{"", "3000148", "x/1", "1/100000000"} {
		if _, err := ParseLSN(in); err == nil {
			t.Errorf("ParseLSN(%q): want an error", in)
		}
	}
}

// TestFenceAfterCrash kills a primary, fences its data directory, promotes
// its replica and brings the crashed primary back as the new primary's
// replica: until it rejoined it refuses to start.
func TestFenceAfterCrash(t *testing.T) {
	ctx := context.Background()
	const admin, repl = "admin:pw", "repl-pw"
	dir := testenv.SharedDir(t)
	a := NewInstance(executor.Local{}, filepath.Join(dir, "a"), "pg", "15", freePort(t), "admin")
	b := NewInstance(executor.Local{}, filepath.Join(dir, "b"), "pg", "15", freePort(t), "admin")
	stopOnCleanup(t, a)
	stopOnCleanup(t, b)
	t.Cleanup(func() {
		if t.Failed() {
			for _, i := range []*Instance{a, b} {
				l, _ := os.ReadFile(i.LogFile())
				t.Logf("log of %s:\n%s", i.Dir, l)
			}
		}
	})
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

	pid := pidOf(t, a)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for local.Alive(pid) {
		waitRow(t, b, admin, "SELECT 'x'", "x")
	}
	// Twice: a fenced member keeps the epoch that fenced it first.
	for _, epoch := range []int64{1, 2} {
		if err := a.Fence(ctx, epoch); err != nil {
			t.Fatalf("Fence: %v", err)
		}
	}
	if e, fenced, err := a.Fenced(ctx); !fenced || e != 1 || err != nil || !standby(t, a) {
		t.Errorf("Fenced: want epoch 1 and standby.signal, got %d %v %v standby %v", e, fenced, err, standby(t, a))
	}
	if err := a.Start(ctx); err == nil || !strings.Contains(err.Error(), "fenced at epoch 1") || running(t, a) {
		t.Fatalf("Start of a fenced member: want it refused, got %v (running %v)", err, running(t, a))
	}
	st, err := b.Status(ctx, admin)
	if err != nil || st.ReceiveLSN == "" {
		t.Fatalf("replica status: want a receive LSN, got %+v, %v", st, err)
	}
	if err := b.Promote(ctx, admin, false); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Configure(ctx, Settings{Port: b.Port, SocketDir: b.SocketDir(), Replication: &Replication{Member: "b"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AllowReplication(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(ctx, admin, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Rejoin(ctx, b, admin); err != nil {
		t.Fatalf("Rejoin after a crash: %v", err)
	}
	if a.IsFenced(ctx) || !standby(t, a) {
		t.Errorf("Rejoin: want the fence lifted and standby.signal, fenced %v standby %v", a.IsFenced(ctx), standby(t, a))
	}
	replicaOf(t, a, b, "a", admin, repl)
	bc, err := b.Connect(ctx, "admin", admin, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close(ctx)
	if _, err := bc.Exec(ctx, "INSERT INTO t VALUES ('after')"); err != nil {
		t.Fatal(err)
	}
	waitRow(t, a, admin, "SELECT string_agg(v, ',' ORDER BY v) FROM t", "after,before")
	waitRow(t, a, admin, "SELECT pg_is_in_recovery()::text", "true")
}
