package databaseinstance

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgvm"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// isolatedWriteBound is how long after a partition an isolated async
// primary may still acknowledge writes, as the README states it: fenceAfter
// (the replicas' last reply and the provider's last heartbeat came before
// the partition), plus one look of the watchdog (1 s), plus the fence
// itself (setting default_transaction_read_only and ending the sessions),
// given 2 s here.
const isolatedWriteBound = fenceAfterForTests + time.Second + 2*time.Second

// dialInNamespace dials from inside the network namespace ns, as a client
// on that host would: a partitioned primary is cut off from the test, not
// from its own host's clients. The dial runs on a thread of its own that
// enters the namespace and is never given back: Go ends a thread whose
// goroutine exits locked to it, so no other goroutine ever runs in the
// namespace. A socket stays in the namespace it was made in.
//
// The main thread is the exception: Go cannot end it and wedges it instead,
// in the namespace, and /proc/PID/ns/net is the main thread's, so the whole
// test process would then count as one of the host's processes, and
// PowerOff or the host's removal would SIGKILL it (CI of stop 26: "signal:
// killed"). A goroutine that finds itself on the main thread keeps it
// locked, so that the goroutine it dials from cannot run there, and gives
// it back after. Each dial then checks that the process is still in its own
// namespace.
func dialInNamespace(ns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	own, ownErr := os.Stat("/proc/self/ns/net")
	var dial func(ctx context.Context, network, addr string) (net.Conn, error)
	dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if ownErr != nil {
			return nil, ownErr
		}
		type result struct {
			c   net.Conn
			err error
		}
		ch := make(chan result, 1)
		go func() {
			runtime.LockOSThread()
			if unix.Gettid() == unix.Getpid() {
				c, err := dial(ctx, network, addr)
				runtime.UnlockOSThread()
				ch <- result{c, err}
				return
			}
			f, err := os.Open(filepath.Join("/run/netns", ns))
			if err != nil {
				ch <- result{err: err}
				return
			}
			defer f.Close()
			if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
				ch <- result{err: err}
				return
			}
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			ch <- result{c, err}
		}()
		r := <-ch
		now, err := os.Stat("/proc/self/ns/net")
		if err == nil && !os.SameFile(own, now) {
			err = fmt.Errorf("the test process left its own network namespace dialing from %s", ns)
		}
		if err != nil {
			if r.c != nil {
				_ = r.c.Close()
			}
			return nil, err
		}
		return r.c, r.err
	}
	return dial
}

// hostWriter commits one row at a time to the member on a host, from a
// client inside that host, until a commit fails, recording each
// acknowledged row and when it was acknowledged.
type hostWriter struct {
	mu    sync.Mutex
	acked []int
	last  time.Time
	err   error
	done  chan struct{}
}

func (f *hostsFixture) startHostWriter(t *testing.T, di *v1alpha1.DatabaseInstance, host string) *hostWriter {
	t.Helper()
	ctx := context.Background()
	s := mustSecret(t, f.env.Client, f.ns, di.Name+"-conn")
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Host, cfg.Port, cfg.Database = f.hosts[host].Address().String(), pgvm.DefaultPort, "postgres"
	cfg.User, cfg.Password = string(s.Data["username"]), string(s.Data["password"])
	cfg.ConnectTimeout, cfg.Fallbacks = 10*time.Second, nil
	if cfg.TLSConfig, err = secretTLS(s, cfg.Host); err != nil {
		t.Fatal(err)
	}
	cfg.DialFunc = dialInNamespace(f.hosts[host].Namespace())
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("cannot connect from inside host %s: %v", host, err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, "CREATE TABLE acks (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	w := &hostWriter{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for id := 1; ; id++ {
			// Bounded, so that a commit the server never answers ends the
			// writer rather than the test.
			cctx, cancel := context.WithTimeout(ctx, sshTimeout)
			_, err := conn.Exec(cctx, "INSERT INTO acks VALUES ($1)", id)
			cancel()
			now := time.Now()
			w.mu.Lock()
			if err != nil {
				w.err = err
				w.mu.Unlock()
				return
			}
			w.acked, w.last = append(w.acked, id), now
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *hostWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

// TestPartitionedAsyncPrimaryOverSSH cuts an async primary's host off the
// network while a client on that host commits rows, and checks three
// faults on one instance of three test hosts over real SSH:
//
//   - The bound: the isolated primary's last acknowledged write comes no
//     later than isolatedWriteBound after the partition, then its
//     watchdog fences it.
//   - The provider is stopped right after it recorded the failover's epoch
//     (before the promotion) and a new one is started: it finishes the
//     failover with one writable primary and the epoch recorded once; the
//     old primary stays fenced and, healed, rejoins as a replica.
//   - The new primary's host key changes: the provider refuses to log in
//     to it, says so naming the key change, and promotes nothing for it;
//     removing the member's pinned key (the documented way to accept the
//     new one) pins the new key and the instance is Ready again.
func TestPartitionedAsyncPrimaryOverSSH(t *testing.T) {
	t.Parallel()
	start := time.Now()
	ctx := context.Background()
	h, hit := stopAtStep(stepEpochRecorded)
	f := newHostsFixtureWith(t, h, "di-ssh-apart", "a", "b", "c")
	f.dumpOnFailure(t)
	c := f.env.Client
	di := f.sshReplicated(t, partitionParams(v1alpha1.ReplicationAsync))
	f.waitRoles(t, di, "a")
	f.waitWatchdogs(t, di)
	t.Logf("ready with watchdogs after %s", time.Since(start).Round(time.Second))

	w := f.startHostWriter(t, di, "a")
	wait.For(t, sshTimeout, "the writer on a has commits acknowledged", func() (bool, string) {
		return w.count() >= 50, strconv.Itoa(w.count()) + " acknowledged"
	})
	before := w.count()
	partitioned := time.Now()
	f.hosts["a"].Partition(t)
	healed := false
	defer func() {
		if !healed {
			f.hosts["a"].Heal(t)
		}
	}()

	// The bound, on the isolated primary itself.
	select {
	case <-w.done:
	case <-time.After(sshTimeout):
		t.Fatalf("the isolated async primary still acknowledges writes %s after the partition", sshTimeout)
	}
	w.mu.Lock()
	last, acked, werr := w.last, len(w.acked), w.err
	w.mu.Unlock()
	t.Logf("partitioned at +0s; last write acknowledged by the isolated primary at %+.2fs (%d rows); the writer ended with: %v",
		last.Sub(partitioned).Seconds(), acked, werr)
	if last.Sub(partitioned) > isolatedWriteBound {
		t.Errorf("the isolated async primary acknowledged a write %s after the partition, later than the documented bound %s "+
			"(fenceAfter + one look + the fence)", last.Sub(partitioned).Round(10*time.Millisecond), isolatedWriteBound)
	}
	wait.For(t, sshTimeout, "the partitioned primary fences itself", func() (bool, string) {
		return fileExists(f.fenceMarker("a")), "no fence marker; watchdog log: " + lastLines(f.watchdogLog("a"), 3)
	})
	if !strings.Contains(f.watchdogLog("a"), "action=stop-writes") {
		t.Errorf("the old primary's watchdog log shows no stop-writes:\n%s", lastLines(f.watchdogLog("a"), 10))
	}

	// The provider stops right after recording the epoch, before any
	// promotion; a new one finishes the failover.
	f.waitHitOverSSH(t, di, hit, stepEpochRecorded)
	if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
		t.Fatal(err)
	}
	rec, err := readEpoch(di)
	if err != nil || rec.Epoch != 1 || (rec.Primary != "b" && rec.Primary != "c") {
		t.Fatalf("epoch recorded before the promotion: want epoch 1 naming b or c, got %+v (%v)", rec, err)
	}
	f.stop()
	t.Logf("provider stopped after recording epoch 1 for %s at +%s", rec.Primary, time.Since(partitioned).Round(100*time.Millisecond))
	f.stop = f.startProvider(t, hooks{})

	var np string
	wait.For(t, sshTimeout, "a replica is the primary of record", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		np = di.Status.AtProvider.Primary
		return np == "b" || np == "c", "primary " + np + "; ready: " + di.GetCondition(xpv2.TypeReady).Message + "; synced: " + di.GetCondition(xpv2.TypeSynced).Message
	})
	writable := f.waitWritable(t, di)
	t.Logf("writable new primary %s at +%s", np, writable.Sub(partitioned).Round(100*time.Millisecond))
	other := "b"
	if np == "b" {
		other = "c"
	}
	f.eventuallyQuery(t, di, f.hostPortOf(other), other+" in recovery", "SELECT pg_is_in_recovery()::text", "true")
	if got := di.Status.AtProvider.FencingToken; got != 1 {
		t.Errorf("fencingToken: want 1 after one promotion across the restart, got %d", got)
	}
	if !fileExists(f.fenceMarker("a")) {
		t.Error("the old primary's fence marker is gone before it rejoined")
	}
	// Async: the rows the isolated primary acknowledged after its replicas'
	// last reply may be lost; how many is logged, not asserted. What the
	// new primary has is a prefix of what the old one acknowledged: a
	// replica replays the WAL in order, so a gap would be a bug.
	conn, err := f.tryConnect(di)
	if err != nil {
		t.Fatal(err)
	}
	var present, highest int
	w.mu.Lock()
	ids := append([]int(nil), w.acked...)
	w.mu.Unlock()
	if err := conn.QueryRow(ctx, "SELECT count(*), coalesce(max(id), 0) FROM acks WHERE id = ANY($1)", ids).Scan(&present, &highest); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)
	t.Logf("async: %d rows acknowledged by the old primary (%d before the partition), %d of them on the new one, %d lost",
		len(ids), before, present, len(ids)-present)
	if present != highest {
		t.Errorf("the new primary holds %d of the acknowledged rows 1..%d: a gap, not a lost tail", present, highest)
	}

	f.hosts["a"].Heal(t)
	healed = true
	f.waitRoles(t, di, np)
	f.eventuallyQuery(t, di, f.hostPortOf("a"), "the old primary rejoined in recovery", "SELECT pg_is_in_recovery()::text", "true")
	f.eventuallyQuery(t, di, f.hostPortOf("a"), "the old primary replays the new primary's writes",
		"SELECT count(*)::text FROM after_failover WHERE v = 'x'", "1")
	t.Logf("old primary rejoined at +%s", time.Since(partitioned).Round(time.Second))

	f.changedHostKey(t, di, np)
	t.Logf("TestPartitionedAsyncPrimaryOverSSH took %s", time.Since(start).Round(time.Second))
}

// changedHostKey changes the host key of the primary's host: the provider
// refuses to log in to it and says so naming the key change, promotes
// nothing for it (its replicas still stream from it) while the primary
// keeps taking writes, and once the member's pinned key is removed from
// the status, as the README says to accept a new key, it pins the new key
// and the instance is Ready again.
func (f *hostsFixture) changedHostKey(t *testing.T, di *v1alpha1.DatabaseInstance, primary string) {
	t.Helper()
	ctx := context.Background()
	c := f.env.Client
	old := di.Status.AtProvider.SSHHostKeys[primary]
	token := di.Status.AtProvider.FencingToken
	f.hosts[primary].ChangeHostKey(t)
	wait.For(t, sshTimeout, "the instance names the changed host key of "+primary, func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		var msgs []string
		for _, ct := range []xpv2.ConditionType{xpv2.TypeReady, xpv2.TypeSynced} {
			msgs = append(msgs, di.GetCondition(ct).Message)
		}
		for _, m := range di.Status.AtProvider.Members {
			if m.VirtualMachine == primary {
				msgs = append(msgs, m.StepError)
			}
		}
		all := strings.Join(msgs, " | ")
		return strings.Contains(all, "host key") && strings.Contains(all, "changed") && strings.Contains(all, primary), all
	})
	t.Logf("with %s's host key changed: ready: %s; synced: %s", primary, di.GetCondition(xpv2.TypeReady).Message, di.GetCondition(xpv2.TypeSynced).Message)
	if got := di.Status.AtProvider.SSHHostKeys[primary]; got != old {
		t.Errorf("the pinned key of %s changed by itself to %q", primary, got)
	}
	// Watched for twice failover.after: nothing is promoted, and the
	// primary still takes writes through the connection secret.
	for until := time.Now().Add(2 * partitionAfterForTests); time.Now().Before(until); time.Sleep(500 * time.Millisecond) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			t.Fatal(err)
		}
		if ap := di.Status.AtProvider; ap.Primary != primary || ap.FencingToken != token {
			t.Fatalf("with %s's host key changed: want primary %s and fencing token %d, got %s and %d", primary, primary, token, ap.Primary, ap.FencingToken)
		}
	}
	conn, err := f.tryConnect(di)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO after_failover VALUES ('key changed')"); err != nil {
		t.Errorf("write on the primary whose host key changed: %v", err)
	}
	_ = conn.Close(ctx)

	if err := testenv.MutateStatus(ctx, c, di, func(di *v1alpha1.DatabaseInstance) { delete(di.Status.AtProvider.SSHHostKeys, primary) }); err != nil {
		t.Fatal(err)
	}
	wait.For(t, sshTimeout, "the new host key of "+primary+" pinned and Ready again", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		return di.Status.AtProvider.SSHHostKeys[primary] == f.hosts[primary].HostKey() &&
				di.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue && di.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue,
			"ready: " + di.GetCondition(xpv2.TypeReady).Message + "; synced: " + di.GetCondition(xpv2.TypeSynced).Message
	})
	f.waitRoles(t, di, primary)
}

// waitHitOverSSH waits until the provider reached the failover step it
// stops at, for twice the deadline of the tests on test hosts: on a loaded
// machine every look at a cut-off primary first waits out an SSH login,
// and a failover took over 5 minutes at load average 50. The instance's
// conditions say where it stood if it never gets there.
func (f *hostsFixture) waitHitOverSSH(t *testing.T, di *v1alpha1.DatabaseInstance, hit <-chan struct{}, step string) {
	t.Helper()
	select {
	case <-hit:
	case <-time.After(2 * sshTimeout):
		_ = f.env.Client.Get(context.Background(), client.ObjectKeyFromObject(di), di)
		t.Fatalf("the failover never reached %s within %s; ready: %s; synced: %s", step, 2*sshTimeout,
			di.GetCondition(xpv2.TypeReady).Message, di.GetCondition(xpv2.TypeSynced).Message)
	}
}
