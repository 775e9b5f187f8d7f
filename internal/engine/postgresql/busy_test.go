package postgresql

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/executor"

	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// TestBusyDataDir takes one instance through the data directories a
// killed provider leaves busy, each step leaving it as the next needs it:
// an initdb still running (initKeepsBusyDataDir, which ends with the
// instance initialized), a postmaster still starting
// (startKeepsLockOfBusyDataDir, which ends with it running), and two
// starts at once of the stopped instance (concurrentStartsOneServer).
func TestBusyDataDir(t *testing.T) {
	ctx := context.Background()
	i := NewInstance(executor.Local{}, testenv.SharedDir(t), "pg", "15", freePort(t), "postgres")
	stopOnCleanup(t, i)
	initKeepsBusyDataDir(t, i)
	if _, err := i.Configure(ctx, i.Settings(nil, nil, nil)); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	startKeepsLockOfBusyDataDir(t, i)
	if err := i.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	concurrentStartsOneServer(t, i)
}

// startKeepsLockOfBusyDataDir: a postmaster that is starting creates
// postmaster.pid empty and fills it a moment later. Start must not take
// that file for a stale one and remove it while a process still runs in the
// data directory, or a second postmaster could start beside the first. i
// is initialized, configured and stopped.
func startKeepsLockOfBusyDataDir(t *testing.T, i *Instance) {
	t.Helper()
	ctx := context.Background()

	// The empty pid file of a starting server, and a process working in
	// the data directory standing in for that server.
	lock := filepath.Join(i.DataDir(), "postmaster.pid")
	if err := os.WriteFile(lock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	busy, done := busyProcess(t, i.DataDir())

	// A start whose context ends while the process runs gives up with an
	// error naming it, and leaves the pid file where it is.
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := i.Start(short)
	if err == nil || !strings.Contains(err.Error(), "not starting") {
		t.Fatalf("Start beside a busy data directory: want an error saying it does not start another server, got %v", err)
	}
	if _, err := os.Stat(lock); err != nil {
		t.Errorf("Start removed the pid file of a busy data directory: %v", err)
	}
	if pids := pgtest.Servers(t, i.DataDir()); len(pids) != 0 {
		t.Errorf("Start started a server beside a busy data directory: %v", pids)
	}

	// Once nothing runs there, the empty pid file is stale and Start
	// clears it and starts the one server.
	if err := busy.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := i.Start(ctx); err != nil {
		t.Fatalf("Start after the process ended: %v", err)
	}
	if got, want := pgtest.OneServer(t, i.DataDir()), pidOf(t, i); got != want {
		t.Errorf("the one server is %d, PID() says %d", got, want)
	}
}

// concurrentStartsOneServer starts the same stopped instance i from two
// goroutines at once, as a restarted provider beside a start still under
// way would: exactly one postmaster may run afterwards.
func concurrentStartsOneServer(t *testing.T, i *Instance) {
	t.Helper()
	ctx := context.Background()
	for round := range 3 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for g := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[g] = i.Start(ctx)
			}()
		}
		wg.Wait()
		// One of two racing pg_ctl starts may fail on the other's lock;
		// both failing would mean no start at all.
		if errs[0] != nil && errs[1] != nil {
			t.Fatalf("round %d: both starts failed: %v; %v", round, errs[0], errs[1])
		}
		t.Logf("round %d: starts said %v; %v", round, errs[0], errs[1])
		pgtest.OneServer(t, i.DataDir())
		if err := i.Stop(ctx); err != nil {
			t.Fatalf("round %d: Stop: %v", round, err)
		}
		if pids := pgtest.Servers(t, i.DataDir()); len(pids) != 0 {
			t.Fatalf("round %d: servers still running after Stop: %v (starts said %v; %v); processes:\n%s\nlog:\n%s", round, pids, errs[0], errs[1], pgtest.Describe(i.DataDir()), readLog(i))
		}
	}
}

// initKeepsBusyDataDir: an initdb that a killed provider left running
// still writes into the half-done data directory. Init must not wipe the
// directory under it nor run a second initdb beside it; once it has gone,
// Init redoes the half-done directory, as it does one that initdb killed
// halfway left. i has no data directory yet.
func initKeepsBusyDataDir(t *testing.T, i *Instance) {
	t.Helper()
	ctx := context.Background()
	if err := os.MkdirAll(i.DataDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	written := filepath.Join(i.DataDir(), "PG_VERSION")
	if err := os.WriteFile(written, []byte("15\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	busy, done := busyProcess(t, i.DataDir())

	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := i.Init(short, "pw"); err == nil || !strings.Contains(err.Error(), "not starting or initializing") {
		t.Fatalf("Init beside a busy data directory: want an error saying it does not initialize, got %v", err)
	}
	if _, err := os.Stat(written); err != nil {
		t.Errorf("Init wiped a data directory a process still works in: %v", err)
	}

	// Once it has gone, Init redoes the half-done directory.
	if err := busy.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := i.Init(ctx, "pw"); err != nil {
		t.Fatalf("Init after the process ended: %v", err)
	}
	if !initialized(t, i) {
		t.Errorf("Init: want the marker written")
	}
	if _, err := os.Stat(filepath.Join(i.DataDir(), "global", "pg_control")); err != nil {
		t.Errorf("Init: want a complete data directory: %v", err)
	}
}

// busyProcess runs a process that works in dir, standing in for a
// postmaster that has not written its pid file yet or an initdb, until the
// test kills it or ends.
func busyProcess(t *testing.T, dir string) (*exec.Cmd, <-chan struct{}) {
	t.Helper()
	busy := exec.Command("sleep", "600")
	busy.Dir = dir
	if err := busy.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = busy.Wait(); close(done) }()
	t.Cleanup(func() { _ = busy.Process.Kill(); <-done })
	return busy, done
}

func readLog(i *Instance) string {
	b, _ := os.ReadFile(i.LogFile())
	return string(b)
}
