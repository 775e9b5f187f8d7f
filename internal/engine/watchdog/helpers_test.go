package watchdog_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/engine/watchdog"
	"github.com/dbaas-io/dbaas/internal/engine/watchdog/install"
	"github.com/dbaas-io/dbaas/internal/ports"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

const (
	admin = "admin"
	// adminPW and replPW are throwaway passwords of throwaway servers.
	adminPW = "admin:pw"
	replPW  = "repl-pw"

	// deadline bounds every wait by condition: generous, since the machine
	// is shared and loaded; it is not an expectation.
	deadline = 90 * time.Second

	// pgBin holds the server programs of PostgreSQL 15.
	pgBin = "/usr/lib/postgresql/15/bin"
)

func freePort(t *testing.T) int32 {
	t.Helper()
	p, err := ports.Free()
	if err != nil {
		t.Fatal(err)
	}
	return int32(p)
}

// newMember returns an instance below dir whose postmaster, should the test
// leave one behind, is stopped by its PID, and whose log is shown when the
// test fails.
func newMember(t *testing.T, dir, name string) *postgresql.Instance {
	t.Helper()
	i := postgresql.NewInstance(executor.Local{}, filepath.Join(dir, name), "pg", "15", freePort(t), admin)
	t.Cleanup(func() {
		pid, _ := local.ReadPID(filepath.Join(i.DataDir(), local.PIDFileName))
		if err := local.StopPID(context.Background(), pid, i.DataDir(), 30*time.Second); err != nil {
			t.Errorf("cannot stop postmaster %d: %v", pid, err)
		}
		if t.Failed() {
			l, _ := os.ReadFile(i.LogFile())
			t.Logf("log of %s:\n%s", i.Dir, l)
		}
	})
	return i
}

// startPrimary initialises and starts i as a primary that replicas may
// stream from.
func startPrimary(t *testing.T, i *postgresql.Instance, member string) {
	t.Helper()
	ctx := context.Background()
	if err := i.Init(ctx, adminPW); err != nil {
		t.Fatal(err)
	}
	s := postgresql.Settings{Port: i.Port, SocketDir: i.SocketDir(), Replication: &postgresql.Replication{Member: member}}
	if i.TLS != nil {
		s.TLSDir = i.TLSDir()
	}
	if _, err := i.Configure(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := i.AllowReplication(ctx); err != nil {
		t.Fatal(err)
	}
	if err := i.Start(ctx); err != nil {
		t.Fatal(err)
	}
	mustExec(t, i, "CREATE TABLE t (v bigint)")
}

// startReplica makes r a running replica of the running primary p through
// a slot, as the controller does, replying to the primary every second as
// the controller has replicas beside a watchdog do (the watchdog counts a
// replica as streaming by its replies).
func startReplica(t *testing.T, r, p *postgresql.Instance, member string) {
	t.Helper()
	ctx := context.Background()
	slot := postgresql.SlotName(member)
	if err := p.EnsureReplication(ctx, adminPW, replPW, []string{slot}, false); err != nil {
		t.Fatalf("EnsureReplication: %v", err)
	}
	if err := r.InitReplica(ctx, p.Host, p.Port, slot, replPW); err != nil {
		t.Fatalf("InitReplica: %v", err)
	}
	if _, err := r.WritePassFile(ctx, replPW); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Configure(ctx, postgresql.Settings{Version: r.Version, Port: r.Port, SocketDir: r.SocketDir(), Replication: &postgresql.Replication{
		Member: member, PrimaryConnInfo: postgresql.ConnInfo(p.Host, p.Port, member, r.PassFile(), r.CAFile()), PrimarySlotName: slot,
	}, Parameters: map[string]string{"wal_receiver_status_interval": "1s"}}); err != nil {
		t.Fatalf("Configure replica: %v", err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatalf("Start replica: %v", err)
	}
}

// mustExec runs sql on i as the admin user: over its socket on a member
// with the provider's pg_hba.conf (one that serves TLS, which refuses the
// admin over TCP), else over TCP.
func mustExec(t *testing.T, i *postgresql.Instance, sql string) {
	t.Helper()
	if err := tryExec(i, sql); err != nil {
		t.Fatalf("%s on port %d: %v", sql, i.Port, err)
	}
}

func tryExec(i *postgresql.Instance, sql string) error {
	ctx := context.Background()
	c, err := i.ConnectAdmin(ctx, adminPW)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql)
	return err
}

// waitFor waits until cond holds, failing the test after deadline
// (wait.For, for conditions that have no state to tell).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	wait.For(t, deadline, what, func() (bool, string) { return cond(), "" })
}

// config is the watchdog's configuration for i, as the play would write
// it: the admin user over TCP on loopback with its password in a file of
// mode 0600, the heartbeat beside the instance, and the engine's fence
// marker.
func config(t *testing.T, i *postgresql.Instance, interval, fenceAfter time.Duration) watchdog.Config {
	t.Helper()
	pw := filepath.Join(i.Dir, "watchdog.pw")
	if err := os.WriteFile(pw, []byte(adminPW+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return watchdog.Config{
		Host: postgresql.Address, Port: int(i.Port), User: admin, PasswordFile: pw, SSLMode: "disable",
		DataDir: i.DataDir(), PGCtl: filepath.Join(pgBin, "pg_ctl"), OSUser: "postgres",
		HeartbeatFile: filepath.Join(i.Dir, "heartbeat"), FenceFile: filepath.Join(i.Dir, "dbaas.fenced"),
		Epoch: 7, Interval: interval, FenceAfter: fenceAfter,
	}
}

// socketConfig is config over i's unix socket, as the provider writes it:
// peer, no password, no TLS.
func socketConfig(t *testing.T, i *postgresql.Instance, interval, fenceAfter time.Duration) watchdog.Config {
	t.Helper()
	c := config(t, i, interval, fenceAfter)
	c.Host, c.PasswordFile, c.SSLMode = i.SocketDir(), "", ""
	return c
}

// logLines collects the watchdog's log lines.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// count returns how many decision lines hold every one of the fields
// (key=value as the log writes them).
func (l *logLines) count(fields ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	s := bufio.NewScanner(bytes.NewReader(l.buf.Bytes()))
	for s.Scan() {
		line := s.Text()
		if !strings.Contains(line, "msg=decision") {
			continue
		}
		all := true
		for _, f := range fields {
			all = all && strings.Contains(" "+line+" ", " "+f+" ")
		}
		if all {
			n++
		}
	}
	return n
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// runWatchdog runs the watchdog in this process until the test ends, and
// shows its log when the test fails.
func runWatchdog(t *testing.T, c watchdog.Config) *logLines {
	t.Helper()
	log := &logLines{}
	c.Log = log
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- watchdog.Run(ctx, c) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if t.Failed() {
			t.Logf("watchdog log:\n%s", log)
		}
	})
	return log
}

// renew renews the heartbeat file every period, as the provider does on
// each look (with Renew, the provider's own function), until stop is
// called; stop returns the file's last
// modification time.
func renew(t *testing.T, path string, period time.Duration) (stop func() time.Time) {
	t.Helper()
	quit, done := make(chan struct{}), make(chan struct{})
	beat := func() {
		if err := install.Renew(context.Background(), executor.Local{}, path, time.Now()); err != nil {
			t.Errorf("heartbeat: %v", err)
		}
	}
	beat()
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case <-time.After(period):
				beat()
			}
		}
	}()
	var once sync.Once
	stop = func() time.Time {
		once.Do(func() { close(quit); <-done })
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.ModTime()
	}
	t.Cleanup(func() { stop() })
	return stop
}

// looksFor is how many looks span at least twice fenceAfter: the watchdog
// never looks faster than its interval.
func looksFor(c watchdog.Config) int {
	return int(2*c.FenceAfter/c.Interval) + 2
}

// running reports whether i's server runs; a pid file it cannot read
// fails the test.
func running(t *testing.T, i *postgresql.Instance) bool {
	t.Helper()
	ok, err := i.Running(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// markedStandby reports whether i's data directory is marked to start as a
// standby.
func markedStandby(t *testing.T, i *postgresql.Instance) bool {
	t.Helper()
	ok, err := i.IsStandby(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ok
}
