package watchdog_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/clients/pki"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// writer inserts rows into the primary in a loop, reconnecting after every
// failure as an application would, and records when the server last
// acknowledged a write.
type writer struct {
	mu      sync.Mutex
	acks    int
	lastAck time.Time
	stop    func()
}

func startWriter(t *testing.T, i *postgresql.Instance) *writer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &writer{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var c *pgx.Conn
		defer func() {
			if c != nil {
				_ = c.Close(context.Background())
			}
		}()
		for n := int64(0); ctx.Err() == nil; n++ {
			if c == nil {
				var err error
				if c, err = i.Connect(ctx, admin, adminPW, "postgres"); err != nil {
					c = nil
					time.Sleep(20 * time.Millisecond)
					continue
				}
			}
			if _, err := c.Exec(ctx, "INSERT INTO t VALUES ($1)", n); err != nil {
				_ = c.Close(context.Background())
				c = nil
				continue
			}
			now := time.Now()
			w.mu.Lock()
			w.acks++
			w.lastAck = now
			w.mu.Unlock()
		}
	}()
	var once sync.Once
	w.stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(w.stop)
	return w
}

func (w *writer) state() (int, time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.acks, w.lastAck
}

// TestIsolatedPrimaryStopsTakingWrites is the issue's partitioned async
// primary: a primary with no replica whose heartbeat stops being renewed
// (the provider lost sight of it) stops taking writes within fenceAfter of
// the last heartbeat, plus one interval and a generous slack for the
// loaded machine; a writer measures the last acknowledged write. Then the
// member reports itself fenced, and does not come back as a writable
// primary: the engine refuses to start it, and started by hand it comes
// up as a read-only standby.
func TestIsolatedPrimaryStopsTakingWrites(t *testing.T) {
	const slack = 5 * time.Second
	ctx := context.Background()
	a := newMember(t, testenv.SharedDir(t), "a")
	startPrimary(t, a, "a")
	c := config(t, a, 500*time.Millisecond, 3*time.Second)
	stopBeats := renew(t, c.HeartbeatFile, 200*time.Millisecond)
	log := runWatchdog(t, c)
	waitFor(t, "the watchdog to look at the primary with its heartbeat", func() bool {
		return log.count("action=nothing", "primary=true") >= 3
	})
	w := startWriter(t, a)
	waitFor(t, "a first acknowledged write", func() bool { n, _ := w.state(); return n > 0 })

	lastBeat := stopBeats()
	waitFor(t, "the watchdog to stop the server", func() bool { return !running(t, a) })
	w.stop()
	acks, lastAck := w.state()

	bound := lastBeat.Add(c.FenceAfter + c.Interval + slack)
	t.Logf("fenceAfter %s, interval %s: last acknowledged write %s after the last heartbeat (%d writes acknowledged in all); bound %s",
		c.FenceAfter, c.Interval, lastAck.Sub(lastBeat).Round(time.Millisecond), acks, bound.Sub(lastBeat))
	if lastAck.After(bound) {
		t.Errorf("last acknowledged write %s after the last heartbeat: want at most fenceAfter + interval + slack = %s",
			lastAck.Sub(lastBeat).Round(time.Millisecond), bound.Sub(lastBeat))
	}
	if log.count("action=stop-writes", "primary=true") == 0 {
		t.Errorf("want a stop-writes decision in the log")
	}

	// (4) The member reports itself fenced, at the configured epoch, and
	// is marked a standby.
	if epoch, fenced, err := a.Fenced(context.Background()); err != nil || !fenced || epoch != c.Epoch {
		t.Errorf("Fenced: want fenced at epoch %d, got %d %v %v", c.Epoch, epoch, fenced, err)
	}
	if !markedStandby(t, a) {
		t.Errorf("want standby.signal in the fenced member's data directory")
	}
	if err := a.Start(ctx); err == nil || !strings.Contains(err.Error(), "fenced at epoch 7") {
		t.Errorf("Start of a self-fenced member: want it refused, got %v", err)
	}
	// Started by hand, past the engine's refusal, it is a read-only
	// standby, and the watchdog leaves it alone.
	out, err := exec.Command("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--",
		filepath.Join(pgBin, "pg_ctl"), "start", "-w", "-t", "60", "-s", "-D", a.DataDir(), "-l", a.LogFile()).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_ctl start by hand: %v: %s", err, out)
	}
	var inRecovery bool
	waitFor(t, "the server started by hand to answer", func() bool {
		conn, err := a.Connect(ctx, admin, adminPW, "postgres")
		if err != nil {
			return false
		}
		defer conn.Close(ctx)
		return conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery) == nil
	})
	if !inRecovery {
		t.Errorf("a fenced member started by hand: want it in recovery")
	}
	if err := tryExec(a, "INSERT INTO t VALUES (-1)"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("a write on the fenced member started by hand: want it refused as read-only, got %v", err)
	}
	before := log.count("action=nothing", "primary=false", "fenced=true")
	waitFor(t, "the watchdog to look at the standby", func() bool {
		return log.count("action=nothing", "primary=false", "fenced=true") >= before+3
	})
	if !running(t, a) {
		t.Errorf("the watchdog stopped a fenced standby: want it left alone")
	}
}

// TestHeartbeatKeepsPrimaryRunning: a primary with no replica whose
// heartbeat the provider renews keeps running, for looks that span twice
// fenceAfter. The same primary then serves Unanswered, which fences it.
func TestHeartbeatKeepsPrimaryRunning(t *testing.T) {
	a := newMember(t, testenv.SharedDir(t), "a")
	startPrimary(t, a, "a")
	t.Run("Renewed", func(t *testing.T) {
		c := config(t, a, 300*time.Millisecond, time.Second)
		renew(t, c.HeartbeatFile, 100*time.Millisecond)
		log := runWatchdog(t, c)
		waitFor(t, "looks spanning twice fenceAfter", func() bool {
			return log.count("action=nothing", "primary=true", "streaming=0") >= looksFor(c)
		})
		if n := log.count("action=stop-writes") + log.count("action=stop-server"); n != 0 {
			t.Errorf("want no fence with the heartbeat renewed, got %d", n)
		}
		if _, fenced, err := a.Fenced(context.Background()); fenced || err != nil {
			t.Errorf("Fenced: want not fenced, got %v %v", fenced, err)
		}
		mustExec(t, a, "INSERT INTO t VALUES (1)")
	})
	// The watchdog and the heartbeat of Renewed ended with it.
	t.Run("Unanswered", func(t *testing.T) { unansweredPrimaryFences(t, a) })
}

// unansweredPrimaryFences: a watchdog whose login the server refuses
// (here peer over the socket as root, which initdb's rules do not map to
// the admin role) cannot see the primary's replicas; it says so on every
// look, counts the looks, and, the server running on a data directory
// marked no standby and the heartbeat stopped, fences it after fenceAfter
// as it would a primary it saw isolated, rather than doing nothing. a is
// a running primary that startPrimary made, which it fences.
func unansweredPrimaryFences(t *testing.T, a *postgresql.Instance) {
	c := socketConfig(t, a, 300*time.Millisecond, 2*time.Second)
	stopBeats := renew(t, c.HeartbeatFile, 100*time.Millisecond)
	log := runWatchdog(t, c)
	waitFor(t, "looks that the server did not answer, kept running by the heartbeat", func() bool {
		return log.count("action=nothing", "primary=false", "answered=false") >= 3
	})
	if !running(t, a) {
		t.Fatalf("the watchdog stopped a primary whose heartbeat is renewed")
	}
	stopBeats()
	waitFor(t, "the watchdog to stop the server", func() bool { return !running(t, a) })
	out := log.String()
	for _, want := range []string{`level=WARN msg="the member's server did not answer"`, "Peer authentication failed", "unanswered=3 ", "mayBePrimary=true"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
	if log.count("action=stop-writes", "answered=false") == 0 {
		t.Errorf("want a stop-writes decision on a look the server did not answer")
	}
	if epoch, fenced, err := a.Fenced(context.Background()); err != nil || !fenced || epoch != c.Epoch {
		t.Errorf("Fenced: want fenced at epoch %d, got %d %v %v", c.Epoch, epoch, fenced, err)
	}
	if !markedStandby(t, a) {
		t.Errorf("want standby.signal in the fenced member's data directory")
	}
}

// TestStreamingReplicaKeepsPrimaryRunning: a primary with a replica
// streaming from it keeps running without any heartbeat, for looks that
// span twice fenceAfter; once its only replica stops, it fences itself.
func TestStreamingReplicaKeepsPrimaryRunning(t *testing.T) {
	ctx := context.Background()
	dir := testenv.SharedDir(t)
	a, b := newMember(t, dir, "a"), newMember(t, dir, "b")
	startPrimary(t, a, "a")
	startReplica(t, b, a, "b")
	waitFor(t, "the replica to stream", func() bool {
		s, err := a.Senders(ctx, adminPW)
		return err == nil && s.ByName["b"].State == "streaming"
	})
	c := config(t, a, 300*time.Millisecond, 2*time.Second)
	if _, err := os.Stat(c.HeartbeatFile); !os.IsNotExist(err) {
		t.Fatalf("want no heartbeat file, stat says %v", err)
	}
	log := runWatchdog(t, c)
	waitFor(t, "looks spanning twice fenceAfter", func() bool {
		return log.count("action=nothing", "primary=true", "streaming=1") >= looksFor(c)
	})
	if n := log.count("action=stop-writes") + log.count("action=stop-server"); n != 0 {
		t.Errorf("want no fence with a replica streaming, got %d", n)
	}
	mustExec(t, a, "INSERT INTO t VALUES (1)")

	// Without its replica and without a heartbeat the primary is isolated.
	if err := b.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the primary without its replica to fence itself", func() bool { return !running(t, a) })
	if log.count("action=stop-writes", "primary=true", "streaming=0") == 0 {
		t.Errorf("want a stop-writes decision in the log")
	}
	if !a.IsFenced(context.Background()) {
		t.Errorf("want the primary fenced")
	}
}

// TestFenceOverSocket runs the watchdog against a primary set up as the
// provider sets up its members: TLS, and pg_hba.conf refusing the admin
// over TCP. It logs in as the provider's watchdog does, over the member's
// unix socket by peer, which pg_ident.conf maps to the admin role (the
// engine's OS user and root are mapped; the test runs as root), with no
// password; it looks, and fences the primary once its heartbeat stops.
func TestFenceOverSocket(t *testing.T) {
	now := time.Now()
	ca, err := pki.NewCA("watchdog-test", now)
	if err != nil {
		t.Fatal(err)
	}
	server, err := pki.IssueServer(ca, []string{postgresql.Address}, now)
	if err != nil {
		t.Fatal(err)
	}
	a := newMember(t, testenv.SharedDir(t), "a")
	a.TLS = &postgresql.TLS{Cert: server.Cert, Key: server.Key, CA: ca.Cert}
	startPrimary(t, a, "a")
	// The admin over TCP, even with its password, is refused by the
	// server: the socket is the watchdog's only way in.
	if conn, err := a.Connect(context.Background(), admin, adminPW, "postgres"); err == nil {
		_ = conn.Close(context.Background())
		t.Fatal("the admin logged in over TCP on a member with the provider's pg_hba.conf")
	} else if !strings.Contains(err.Error(), "pg_hba.conf rejects connection") {
		t.Fatalf("the admin over TCP: err = %v, want pg_hba.conf to reject it", err)
	}
	c := socketConfig(t, a, 300*time.Millisecond, time.Second)
	stopBeats := renew(t, c.HeartbeatFile, 100*time.Millisecond)
	log := runWatchdog(t, c)
	waitFor(t, "looks spanning twice fenceAfter", func() bool {
		return log.count("action=nothing", "primary=true", "answered=true") >= looksFor(c)
	})
	stopBeats()
	waitFor(t, "the watchdog to stop the server", func() bool { return !running(t, a) })
	if !a.IsFenced(context.Background()) || log.count("action=stop-writes", "primary=true") == 0 {
		t.Errorf("want the primary fenced by a stop-writes decision, fenced %v", a.IsFenced(context.Background()))
	}
	if strings.Contains(log.String(), "did not answer") {
		t.Errorf("the watchdog could not log in over the socket at some look")
	}
}
