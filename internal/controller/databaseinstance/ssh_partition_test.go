package databaseinstance

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgvm"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

const (
	// Partitions are tested with a short fenceAfter (still above the
	// time between two looks at the instance on this loaded machine,
	// when the provider's heartbeat is what keeps a primary whose
	// replicas are being set up running) and a failover.after just above
	// it plus the margin, and with replicas that give up a silent primary
	// after 4s rather than a minute, so that each test waits seconds, not
	// minutes.
	fenceAfterForTests     = 5 * time.Second
	partitionAfterForTests = fenceAfterForTests + selfFenceMargin + time.Second
)

var (
	watchdogOnce     sync.Once
	watchdogBuildDir string
	watchdogPath     string
	watchdogErr      error
)

// watchdogBinary is the dbaas-watchdog the provider installs on the test
// hosts: `make build`'s, or one built once for this test binary into a
// directory that TestMain removes (removeWatchdogBuild) once every test
// ended, since the tests that share it run in parallel.
func watchdogBinary(t *testing.T) string {
	t.Helper()
	root := testenv.RepoRoot(t)
	if p := filepath.Join(root, ".cache", "bin", "dbaas-watchdog"); fileExists(p) {
		return p
	}
	watchdogOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dbaas-watchdog-")
		if err != nil {
			watchdogErr = err
			return
		}
		watchdogBuildDir = dir
		watchdogPath = filepath.Join(dir, "dbaas-watchdog")
		cmd := exec.Command("go", "build", "-o", watchdogPath, "./cmd/dbaas-watchdog")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			watchdogErr = err
			watchdogPath = string(out)
		}
	})
	if watchdogErr != nil {
		t.Fatalf("cannot build dbaas-watchdog: %v: %s", watchdogErr, watchdogPath)
	}
	return watchdogPath
}

// removeWatchdogBuild removes the dbaas-watchdog that watchdogBinary
// built, if it built one.
func removeWatchdogBuild() error {
	if watchdogBuildDir == "" {
		return nil
	}
	return os.RemoveAll(watchdogBuildDir)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// partitionParams is a primary with two replicas whose failover waits out
// the primary's watchdog.
func partitionParams(mode v1alpha1.ReplicationMode) func(p *v1alpha1.DatabaseInstanceParameters) {
	return func(p *v1alpha1.DatabaseInstanceParameters) {
		p.Failover = &v1alpha1.FailoverParameters{
			After:      &metav1.Duration{Duration: partitionAfterForTests},
			FenceAfter: &metav1.Duration{Duration: fenceAfterForTests},
		}
		if mode == v1alpha1.ReplicationAsync {
			p.Replication = &v1alpha1.ReplicationParameters{Mode: v1alpha1.ReplicationAsync}
		}
	}
}

// timedWriter commits one row at a time through a connection opened with
// the connection secret, each commit bounded by a few seconds (a commit
// to a primary cut off never returns otherwise), until one fails. It
// records every acknowledged row and when it was acknowledged.
type timedWriter struct {
	mu   sync.Mutex
	w    *writer
	last time.Time
}

func startTimedWriter(t *testing.T, f *fixture, di *v1alpha1.DatabaseInstance) *timedWriter {
	t.Helper()
	ctx := context.Background()
	conn := f.connect(t, di)
	if _, err := conn.Exec(ctx, "CREATE TABLE acks (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	tw := &timedWriter{w: &writer{done: make(chan struct{})}}
	go func() {
		defer close(tw.w.done)
		for id := 1; ; id++ {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := conn.Exec(cctx, "INSERT INTO acks VALUES ($1)", id)
			cancel()
			if err != nil {
				return
			}
			now := time.Now()
			tw.w.mu.Lock()
			tw.w.acked = append(tw.w.acked, id)
			tw.w.mu.Unlock()
			tw.mu.Lock()
			tw.last = now
			tw.mu.Unlock()
		}
	}()
	return tw
}

func (tw *timedWriter) lastAck() time.Time {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return tw.last
}

// fenceMarker is the fence marker of the member on host name, read on the
// file system the test hosts share with the test: a partitioned host
// cannot be asked over the network.
func (f *hostsFixture) fenceMarker(name string) string {
	return filepath.Join(f.hosts[name].Dir(), pgvm.DefaultMountPoint, sshEnginesDir, f.ns+"-pg", "dbaas.fenced")
}

// watchdogLog is the log of the watchdog of the member on host name.
func (f *hostsFixture) watchdogLog(name string) string {
	b, _ := os.ReadFile(filepath.Join(f.hosts[name].Dir(), pgvm.DefaultMountPoint, sshEnginesDir, f.ns+"-pg", watchdogDir, "watchdog.log"))
	return string(b)
}

// dumpOnFailure logs the end of every member's server and watchdog log
// when the test fails, before the hosts are removed.
func (f *hostsFixture) dumpOnFailure(t *testing.T) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for name, h := range f.hosts {
			dir := filepath.Join(h.Dir(), pgvm.DefaultMountPoint, sshEnginesDir, f.ns+"-pg")
			pg, _ := os.ReadFile(filepath.Join(dir, "postgresql.log"))
			t.Logf("%s: server log:\n%s\nwatchdog log:\n%s", name, lastLines(string(pg), 15), lastLines(f.watchdogLog(name), 8))
		}
	})
}

// waitWatchdogs waits until the status says every member's watchdog runs.
func (f *hostsFixture) waitWatchdogs(t *testing.T, di *v1alpha1.DatabaseInstance) {
	t.Helper()
	wait.For(t, sshTimeout, "every member's watchdog runs", func() (bool, string) {
		if err := f.env.Client.Get(context.Background(), client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		var out []string
		ok := len(di.Status.AtProvider.Members) == 3
		for _, m := range di.Status.AtProvider.Members {
			ok = ok && m.Watchdog
			out = append(out, m.VirtualMachine+"="+strconv.FormatBool(m.Watchdog))
		}
		return ok, strings.Join(out, ",")
	})
}

// TestPartitionedPrimaryOverSSH cuts the primary's host off the network
// while a writer commits through the connection secret, with sync ANY 1
// replication: the old primary's watchdog fences it, a replica is promoted
// after failover.after, every acknowledged row is on the new primary, and
// there is one writable primary. Healed, the old primary rejoins as a
// replica. It also checks the async bound: the last write the isolated
// primary acknowledged came no later than fenceAfter plus the watchdog's
// interval and slack after the partition (with sync none is acknowledged
// after the partition at all). The provider is stopped right after the
// promotion, before it moves the others and publishes the new primary, and
// a new one finishes the failover: still no acknowledged row is lost.
//
// Before it cuts the primary off it cuts a replica off and heals it
// (partitionedReplica), on the same instance: both faults need a sync
// primary with two replicas and their watchdogs on three test hosts, which
// take minutes of the package's time to set up, and a healed replica
// partition leaves exactly that behind.
func TestPartitionedPrimaryOverSSH(t *testing.T) {
	t.Parallel()
	start := time.Now()
	ctx := context.Background()
	h, hit := stopAtStep(stepPromoted)
	f := newHostsFixtureWith(t, h, "di-ssh-part", "a", "b", "c")
	f.dumpOnFailure(t)
	c := f.env.Client
	di := f.sshReplicated(t, partitionParams(v1alpha1.ReplicationSync))
	f.waitRoles(t, di, "a")
	f.waitWatchdogs(t, di)
	t.Logf("ready with watchdogs after %s", time.Since(start).Round(time.Second))

	f.partitionedReplica(t, di)
	t.Logf("replica partition done after %s", time.Since(start).Round(time.Second))

	w := startTimedWriter(t, f.fixture, di)
	wait.For(t, sshTimeout, "the writer has commits acknowledged", func() (bool, string) {
		return w.w.count() >= 50, strconv.Itoa(w.w.count()) + " acknowledged"
	})
	partitioned := time.Now()
	f.hosts["a"].Partition(t)
	healed := false
	defer func() {
		if !healed {
			f.hosts["a"].Heal(t)
		}
	}()

	wait.For(t, sshTimeout, "the partitioned primary fences itself", func() (bool, string) {
		return fileExists(f.fenceMarker("a")), "no fence marker; watchdog log: " + lastLines(f.watchdogLog("a"), 3)
	})
	fencedAt := time.Now()
	<-w.w.done
	last := w.lastAck()
	t.Logf("partitioned at +0s; fence marker seen at +%s; last acknowledged write at %+.2fs", fencedAt.Sub(partitioned).Round(100*time.Millisecond), last.Sub(partitioned).Seconds())
	if bound := fenceAfterForTests + time.Second + 2*time.Second; last.Sub(partitioned) > bound {
		t.Errorf("the isolated primary acknowledged a write %s after the partition, later than fenceAfter + interval + slack (%s)", last.Sub(partitioned), bound)
	}

	f.waitHitOverSSH(t, di, hit, stepPromoted)
	f.stop()
	t.Logf("provider stopped after the promotion at +%s", time.Since(partitioned).Round(100*time.Millisecond))
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
	t.Logf("writable new primary %s at +%s (failover.after %s, fenceAfter %s)", np, writable.Sub(partitioned).Round(100*time.Millisecond), partitionAfterForTests, fenceAfterForTests)
	if got := di.Status.AtProvider.FencingToken; got != 1 {
		t.Errorf("fencingToken: want 1 after one promotion across the restart, got %d", got)
	}
	if cond := di.GetCondition(v1alpha1.TypeFailover); cond.Status != corev1.ConditionTrue || !strings.Contains(cond.Message, "promoted "+np) {
		t.Errorf("Failover condition: unexpected %+v", cond)
	}
	lost, acked := f.lost(t, di, w.w)
	t.Logf("acknowledged writes: %d, lost after the failover: %d", acked, lost)
	if lost != 0 {
		t.Errorf("sync ANY 1: want no acknowledged write lost, lost %d of %d", lost, acked)
	}
	// Exactly one writable primary: the other replica is in recovery, and
	// the old one is down behind its fence.
	other := "b"
	if np == "b" {
		other = "c"
	}
	f.eventuallyQuery(t, di, f.hostPortOf(other), other+" in recovery", "SELECT pg_is_in_recovery()::text", "true")
	if !strings.Contains(f.watchdogLog("a"), "action=stop-writes") {
		t.Errorf("the old primary's watchdog log shows no stop-writes:\n%s", lastLines(f.watchdogLog("a"), 10))
	}

	f.hosts["a"].Heal(t)
	healed = true
	f.waitRoles(t, di, np)
	f.eventuallyQuery(t, di, f.hostPortOf("a"), "the old primary rejoined in recovery", "SELECT pg_is_in_recovery()::text", "true")
	f.eventuallyQuery(t, di, f.hostPortOf("a"), "the old primary replays the new primary's writes",
		"SELECT count(*)::text FROM after_failover WHERE v = 'x'", "1")
	t.Logf("TestPartitionedPrimaryOverSSH took %s", time.Since(start).Round(time.Second))
}

// partitionedReplica cuts the host of replica b off: nothing is promoted,
// the instance says the replica is down, the primary keeps taking writes
// with c and does not fence itself, and once healed b streams again with
// what was written meanwhile. It leaves a Ready instance with primary a.
func (f *hostsFixture) partitionedReplica(t *testing.T, di *v1alpha1.DatabaseInstance) {
	t.Helper()
	ctx := context.Background()
	c := f.env.Client
	f.hosts["b"].Partition(t)
	healed := false
	defer func() {
		if !healed {
			f.hosts["b"].Heal(t)
		}
	}()
	wait.For(t, sshTimeout, "the instance reports replica b down", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		r := di.GetCondition(xpv2.TypeReady)
		return r.Status == corev1.ConditionFalse && strings.Contains(r.Message, "replica b"), r.Message
	})
	t.Logf("Ready=False: %s", di.GetCondition(xpv2.TypeReady).Message)
	// Watched for twice failover.after: the primary answers, so nothing
	// is promoted, and it keeps taking writes with c.
	for until := time.Now().Add(2 * partitionAfterForTests); time.Now().Before(until); time.Sleep(500 * time.Millisecond) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			t.Fatal(err)
		}
		if ap := di.Status.AtProvider; ap.Primary != "a" || ap.FencingToken != 0 {
			t.Fatalf("with replica b cut off: want primary a and fencing token 0, got %s and %d", ap.Primary, ap.FencingToken)
		}
	}
	conn, err := f.tryConnect(di)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE during (v text); INSERT INTO during VALUES ('b cut off')"); err != nil {
		t.Fatalf("write on the primary with b cut off: %v", err)
	}
	if fileExists(f.fenceMarker("a")) {
		t.Error("the primary fenced itself while c streamed from it")
	}

	f.hosts["b"].Heal(t)
	healed = true
	f.waitRoles(t, di, "a")
	f.eventuallyQuery(t, di, f.hostPortOf("b"), "b replays what was written while it was cut off", "SELECT string_agg(v, ',') FROM during", "b cut off")
}

// lastLines is the end of a log, for messages.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
