package postgresql

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// TestArchiveTimeoutAfterCrash: a primary started again after a crash
// switches WAL segments, and so archives, within archive_timeout while it
// has writes. PostgreSQL 15's checkpointer leaves archive_timeout out of
// the sleep it works out in recovery and slept checkpoint_timeout (5 min
// here) before its first forced switch; Start now wakes it. The deadline
// (2 min) is far above the 1 s archive_timeout and far below the 5 min
// the checkpointer slept without the wake-up.
func TestArchiveTimeoutAfterCrash(t *testing.T) {
	ctx := context.Background()
	const password = "pw"
	dir := testenv.SharedDir(t)
	archive := filepath.Join(dir, "archive")
	// The server runs as postgres: the directory is writable by all
	// (Chmod, since MkdirAll's mode goes through the umask).
	if err := os.MkdirAll(archive, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(archive, 0o777); err != nil {
		t.Fatal(err)
	}
	i := NewInstance(executor.Local{}, dir, "pg", "15", freePort(t), "admin")
	stopOnCleanup(t, i)
	if err := i.Init(ctx, password); err != nil {
		t.Fatalf("Init: %v", err)
	}
	s := i.Settings(nil, nil, map[string]string{"checkpoint_timeout": "5min"})
	s.Archiving = &Archiving{Command: "cp %p " + archive + "/%f", Timeout: time.Second}
	if _, err := i.Configure(ctx, s); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if err := i.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	pid := pidOf(t, i)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for local.Alive(pid) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if err := i.Start(ctx); err != nil {
		t.Fatalf("Start after the crash: %v", err)
	}
	c, err := i.Connect(ctx, i.AdminUser, password, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "CREATE TABLE t AS SELECT 1 AS n"); err != nil {
		t.Fatal(err)
	}
	var base int64
	if err := c.QueryRow(ctx, "SELECT archived_count FROM pg_stat_archiver").Scan(&base); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for n := base; n <= base; {
		if time.Since(start) > 2*time.Minute {
			var failed int64
			var lsn string
			_ = c.QueryRow(ctx, "SELECT failed_count, pg_current_wal_lsn()::text FROM pg_stat_archiver").Scan(&failed, &lsn)
			t.Fatalf("no WAL segment archived within 2 min of a write after the restart (archive_timeout 1 s, checkpoint_timeout 5 min): %d failed, at %s", failed, lsn)
		}
		// A write every look: archive_timeout switches only a segment
		// that holds WAL written since the last switch.
		if _, err := c.Exec(ctx, "INSERT INTO t VALUES (2)"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(250 * time.Millisecond)
		if err := c.QueryRow(ctx, "SELECT archived_count FROM pg_stat_archiver").Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("first segment archived %.1f s after the first write following the restart", time.Since(start).Seconds())
}
