package databaseinstance

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// failoverAfterForTests is the shortest wait the API allows.
const failoverAfterForTests = 2 * time.Second

// failoverFixture is a Ready primary on "vm" with replicas on vm-1 and
// vm-2 whose failover waits failoverAfterForTests. Its provider logs to
// log.
func failoverFixture(t *testing.T, ns string, h hooks, log logr.Logger, mod func(p *v1alpha1.DatabaseInstanceParameters)) (*fixture, *v1alpha1.DatabaseInstance, func()) {
	t.Helper()
	env := testenv.Shared(t)
	f := newFixture(t, env, ns)
	f.addVM(t, "vm-1")
	f.addVM(t, "vm-2")
	stop := startManagerWithLogger(t, env, h, log)
	di := f.replicated("pg", "vm-1", "vm-2")
	di.Spec.ForProvider.Failover = &v1alpha1.FailoverParameters{After: &metav1.Duration{Duration: failoverAfterForTests}}
	if mod != nil {
		mod(&di.Spec.ForProvider)
	}
	if err := env.Client.Create(context.Background(), di); err != nil {
		t.Fatal(err)
	}
	f.waitReady(t, di)
	return f, di, stop
}

// killPrimary SIGKILLs the postmaster of the member on vm.
func (f *fixture) killPrimary(t *testing.T, vm string) {
	t.Helper()
	pid := pgtest.OneServer(t, filepath.Join(f.memberDir(t, vm, "pg"), "data"))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

// ports returns each member's port by VirtualMachine.
func ports(di *v1alpha1.DatabaseInstance) map[string]int32 {
	out := map[string]int32{}
	for _, m := range di.Status.AtProvider.Members {
		out[m.VirtualMachine] = m.Port
	}
	return out
}

// writer inserts rows into acks on the primary, one statement and commit
// each, and records every id whose commit was acknowledged, until the
// connection fails.
type writer struct {
	mu    sync.Mutex
	acked []int
	done  chan struct{}
}

func startWriter(t *testing.T, f *fixture, di *v1alpha1.DatabaseInstance) *writer {
	t.Helper()
	ctx := context.Background()
	conn := f.connect(t, di)
	if _, err := conn.Exec(ctx, "CREATE TABLE acks (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	w := &writer{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for id := 1; ; id++ {
			if _, err := conn.Exec(ctx, "INSERT INTO acks VALUES ($1)", id); err != nil {
				return
			}
			w.mu.Lock()
			w.acked = append(w.acked, id)
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *writer) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

// waitWritable writes through the connection secret until a write
// succeeds, and returns when that was.
func (f *fixture) waitWritable(t *testing.T, di *v1alpha1.DatabaseInstance) time.Time {
	t.Helper()
	ctx := context.Background()
	var at time.Time
	wait.For(t, timeout, "a write through the connection secret succeeds", func() (bool, string) {
		c, err := f.tryConnect(di)
		if err != nil {
			return false, err.Error()
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "CREATE TABLE IF NOT EXISTS after_failover (v text); INSERT INTO after_failover VALUES ('x')"); err != nil {
			return false, err.Error()
		}
		at = time.Now()
		return true, ""
	})
	return at
}

// waitFailedOver waits until a replica other than old is the primary of
// record, status and connection secret and every member runs in its role,
// the former primary streaming from the new one. It returns the new
// primary.
func (f *fixture) waitFailedOver(t *testing.T, di *v1alpha1.DatabaseInstance, old string) string {
	t.Helper()
	ctx := context.Background()
	c := f.env.Client
	wait.For(t, timeout, "a replica took over and every member runs in its role", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		ap := di.Status.AtProvider
		primaries, nStreaming := 0, 0
		for _, m := range ap.Members {
			if m.Role == v1alpha1.RolePrimary && m.Running {
				primaries++
			}
			if m.Streaming == streaming {
				nStreaming++
			}
		}
		ok := ap.Primary != old && ap.Primary == di.Spec.ForProvider.Primary && primaries == 1 && nStreaming == 2 &&
			di.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue
		return ok, "primary " + ap.Primary + " ready: " + di.GetCondition(xpv2.TypeReady).Message + " synced: " + di.GetCondition(xpv2.TypeSynced).Message
	})
	p := ports(di)
	np := di.Status.AtProvider.Primary
	wait.For(t, timeout, "connection secret follows the new primary", func() (bool, string) {
		s := mustSecret(t, c, f.ns, "pg-conn")
		return string(s.Data["port"]) == strconv.Itoa(int(p[np])), "port " + string(s.Data["port"])
	})
	// Exactly one member takes writes; the former primary is a replica of
	// the new one.
	var writable []string
	for vm, port := range p {
		hp := "127.0.0.1:" + strconv.Itoa(int(port))
		var rec bool
		conn, err := f.connectTo(ctx, di, hp)
		if err != nil {
			t.Fatalf("member %s: %v", vm, err)
		}
		if err := conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&rec); err != nil {
			t.Fatal(err)
		}
		_ = conn.Close(ctx)
		if !rec {
			writable = append(writable, vm)
		}
	}
	if len(writable) != 1 || writable[0] != np {
		t.Errorf("want only %s out of recovery, got %v", np, writable)
	}
	others := []string{}
	for vm := range p {
		if vm != np {
			others = append(others, vm)
		}
	}
	sort.Strings(others)
	f.eventuallyQuery(t, di, "127.0.0.1:"+strconv.Itoa(int(p[np])), "both others stream from the new primary",
		"SELECT string_agg(application_name || '=' || state, ',' ORDER BY application_name) FROM pg_stat_replication",
		others[0]+"=streaming,"+others[1]+"=streaming")
	return np
}

// lost counts the writer's acknowledged rows missing on the primary of
// the connection secret.
func (f *fixture) lost(t *testing.T, di *v1alpha1.DatabaseInstance, w *writer) (lost, acked int) {
	t.Helper()
	ctx := context.Background()
	c, err := f.tryConnect(di)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	w.mu.Lock()
	ids := append([]int(nil), w.acked...)
	w.mu.Unlock()
	var present int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM acks WHERE id = ANY($1)", ids).Scan(&present); err != nil {
		t.Fatal(err)
	}
	return len(ids) - present, len(ids)
}

// TestFailover runs the local failover cases, and the checks of a
// replicated instance that need the same shape, as steps of one instance:
// a primary on "vm" with replicas on vm-1 and vm-2 whose failover waits
// failoverAfterForTests. Each step needs exactly that shape and, once it
// passed, leaves it behind with every member in its role, while an
// instance of its own takes 25–45 s of the package's time to become Ready
// on the loaded machine the suite runs on. The steps run in the order that
// keeps each one's checks as they were on an instance of its own: the
// fresh instance's status and streams first, then failover disabled
// (nothing promoted yet); then, with failover on, the platform's CA and
// its rotation, which must not cause a failover; then async failovers,
// the first of which is the instance's first promotion; then sync ANY 1,
// the mode the power-off step and the commit that waits for a replica
// need too; then that no provider of the whole test logged a password,
// and the delete. Every failover
// counts one epoch more than the one before it. A step that fails ends the
// test: the next ones would start from a state they do not expect.
func TestFailover(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	log := funcr.New(func(prefix, args string) { logs.WriteString(prefix + " " + args + "\n") }, funcr.Options{Verbosity: 1})
	f, di, stop := failoverFixture(t, "di-fo", hooks{}, log, func(p *v1alpha1.DatabaseInstanceParameters) {
		off := false
		p.Failover.Enabled = &off
	})
	r := &failoverRig{fixture: f, di: di, t: t, stop: stop, log: log, logs: logs}
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"Replicas", r.replicas},
		{"Disabled", r.disabled},
		{"PlatformCA", r.platformCA},
		{"Async", r.async},
		{"ProviderRestart/" + stepEpochRecorded, func(t *testing.T) { r.providerRestart(t, stepEpochRecorded) }},
		{"ProviderRestart/" + stepPromoted, func(t *testing.T) { r.providerRestart(t, stepPromoted) }},
		{"Sync", r.sync},
		{"PowerOffSync", r.powerOffSync},
		{"SyncCommitWaits", r.syncCommitWaits},
		{"NoPasswordLeaked", r.noPasswordLeaked},
		{"Delete", r.deleteMembers},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			return
		}
	}
}

// failoverRig is the instance the failover steps share and the provider
// that runs it, which lives as long as the whole test (t), not one step;
// every provider it starts logs to log, which logs holds.
type failoverRig struct {
	*fixture
	di   *v1alpha1.DatabaseInstance
	t    *testing.T
	stop func()
	log  logr.Logger
	logs *syncBuffer
}

// start starts a provider under hooks h.
func (r *failoverRig) start(h hooks) {
	r.stop = startManagerWithLogger(r.t, r.env, h, r.log)
}

// restartProvider stops the provider and starts a new one under hooks h.
func (r *failoverRig) restartProvider(h hooks) {
	r.stop()
	r.start(h)
}

// current reads the instance and returns its primary and fencing token.
func (r *failoverRig) current(t *testing.T) (primary string, token int64) {
	t.Helper()
	if err := r.env.Client.Get(context.Background(), client.ObjectKeyFromObject(r.di), r.di); err != nil {
		t.Fatal(err)
	}
	return r.di.Status.AtProvider.Primary, r.di.Status.AtProvider.FencingToken
}

// dropFailoverTables drops the tables a failover step writes, so that each
// step counts only its own rows; the drop reaches every replica through
// the stream, as the step's own writes then do.
func (r *failoverRig) dropFailoverTables(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	conn, err := r.tryConnect(r.di)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS acks, after_failover"); err != nil {
		t.Fatal(err)
	}
}

// Disabled kills the primary of the instance whose failover is disabled:
// no replica is promoted and the Ready condition says why; the primary is
// restarted once it can be. It is the first step, so nothing was promoted
// before it.
func (r *failoverRig) disabled(t *testing.T) {
	ctx := context.Background()
	f, di := r.fixture, r.di
	c := f.env.Client
	p := ports(di)
	// The primary's port is held, so that the controller cannot restart it
	// and the outage lasts.
	r.stop()
	f.killPrimary(t, "vm")
	var l net.Listener
	wait.For(t, timeout, "the primary's port is held", func() (bool, string) {
		var err error
		l, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(int(p["vm"])))
		return err == nil, errString(err)
	})
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			_ = conn.Close()
		}
	}()
	r.start(hooks{})
	wait.For(t, timeout, "Ready says the primary is down and failover is disabled", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		ready := di.GetCondition(xpv2.TypeReady)
		return ready.Status == corev1.ConditionFalse && strings.Contains(ready.Message, "primary vm is down: it does not answer; failover is disabled"), ready.Message
	})
	// Well past failover.after nothing was promoted.
	deadline := time.Now().Add(3 * failoverAfterForTests)
	for time.Now().Before(deadline) {
		for _, vm := range []string{"vm-1", "vm-2"} {
			f.eventuallyQuery(t, di, "127.0.0.1:"+strconv.Itoa(int(p[vm])), vm+" still a replica", "SELECT pg_is_in_recovery()::text", "true")
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
		t.Fatal(err)
	}
	if di.Spec.ForProvider.Primary != "" || di.Status.AtProvider.FencingToken != 0 || di.GetAnnotations()[AnnotationEpoch] != "" {
		t.Errorf("want no promotion recorded, got primary %q fencingToken %d", di.Spec.ForProvider.Primary, di.Status.AtProvider.FencingToken)
	}
	_ = l.Close()
	f.waitReady(t, di)
	f.eventuallyQuery(t, di, "127.0.0.1:"+strconv.Itoa(int(p["vm"])), "vm is the primary again", "SELECT pg_is_in_recovery()::text", "false")
}

// async turns failover on (the PlatformCA step did already) and kills the
// async primary with two replicas: the most advanced replica takes over,
// the connection secret follows it, and the former primary is restarted
// as its replica. Acknowledged writes may be lost in async mode; the step
// reports how many. It is the instance's first promotion.
func (r *failoverRig) async(t *testing.T) {
	patch(t, r.env.Client, r.di, func(di *v1alpha1.DatabaseInstance) { di.Spec.ForProvider.Failover.Enabled = nil })
	if _, token := r.current(t); token != 0 {
		t.Errorf("fencingToken before any promotion: want 0, got %d", token)
	}
	lost := r.failoverUnderWrites(t)
	t.Logf("async: %d acknowledged writes lost", lost)
}

// sync switches to sync (ANY 1), which the primary applies naming both
// replicas and counting both in its quorum, and kills the primary while it
// commits: every acknowledged commit is on the new primary.
func (r *failoverRig) sync(t *testing.T) {
	patch(t, r.env.Client, r.di, func(di *v1alpha1.DatabaseInstance) {
		di.Spec.ForProvider.Replication = &v1alpha1.ReplicationParameters{Mode: v1alpha1.ReplicationSync, SyncQuorum: ptr(1)}
	})
	r.waitQuorum(t, r.di)
	if lost := r.failoverUnderWrites(t); lost != 0 {
		t.Errorf("sync ANY 1: want no acknowledged write lost, lost %d", lost)
	}
}

// failoverUnderWrites kills the primary while a writer commits rows and
// checks the failover; it returns how many acknowledged rows were lost.
func (r *failoverRig) failoverUnderWrites(t *testing.T) int {
	f, di := r.fixture, r.di
	old, token := r.current(t)
	r.dropFailoverTables(t)
	w := startWriter(t, f, di)
	wait.For(t, timeout, "the writer has commits acknowledged", func() (bool, string) {
		return w.count() >= 200, strconv.Itoa(w.count()) + " acknowledged"
	})
	killed := time.Now()
	f.killPrimary(t, old)
	<-w.done
	writable := f.waitWritable(t, di)
	t.Logf("failover: primary killed -> new primary writable in %s (failover.after %s)", writable.Sub(killed).Round(time.Millisecond), failoverAfterForTests)
	np := f.waitFailedOver(t, di, old)

	if got := di.Status.AtProvider.FencingToken; got != token+1 {
		t.Errorf("fencingToken: want %d after one more promotion, got %d", token+1, got)
	}
	// The time is recorded in whole seconds, after the primary was killed
	// and before the new primary took writes.
	if lf := di.Status.AtProvider.LastFailoverTime; lf == nil || lf.Before(&metav1.Time{Time: killed.Truncate(time.Second)}) || lf.After(writable) {
		t.Errorf("lastFailoverTime: want between %s and %s, got %v", killed.Format(time.RFC3339), writable.Format(time.RFC3339), lf)
	}
	if ls := di.Status.AtProvider.LastSwitchoverTime; ls != nil {
		t.Errorf("lastSwitchoverTime: want unset after failovers alone, got %s", ls)
	}
	cond := di.GetCondition(v1alpha1.TypeFailover)
	if cond.Status != corev1.ConditionTrue || !strings.Contains(cond.Message, "primary "+old+" stopped answering for") ||
		!strings.Contains(cond.Message, "promoted "+np+" (most advanced, LSN ") {
		t.Errorf("Failover condition: unexpected %+v", cond)
	}
	if _, ok := di.GetAnnotations()[AnnotationPrimaryDownSince]; ok {
		t.Errorf("annotation %s: want it gone once a replica took over", AnnotationPrimaryDownSince)
	}
	lost, acked := f.lost(t, di, w)
	t.Logf("acknowledged writes: %d, lost after the failover: %d", acked, lost)

	// The former primary is a replica that replays the new primary's
	// writes.
	conn, err := f.tryConnect(di)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "INSERT INTO after_failover VALUES ('replicated')"); err != nil {
		t.Fatal(err)
	}
	former := "127.0.0.1:" + strconv.Itoa(int(ports(di)[old]))
	f.eventuallyQuery(t, di, former, "former primary in recovery", "SELECT pg_is_in_recovery()::text", "true")
	f.eventuallyQuery(t, di, former, "former primary replays the new primary's writes",
		"SELECT count(*)::text FROM after_failover WHERE v = 'replicated'", "1")
	return lost
}

// providerRestart stops the provider in the middle of a failover, right
// after step; the restarted provider finishes it with exactly one primary
// and the epoch recorded once.
func (r *failoverRig) providerRestart(t *testing.T, step string) {
	f, di := r.fixture, r.di
	old, token := r.current(t)
	h, hit := stopAtStep(step)
	r.restartProvider(h)
	f.killPrimary(t, old)
	waitHit(t, hit, "the failover", step)
	r.restartProvider(hooks{})
	f.waitFailedOver(t, di, old)
	if got := di.Status.AtProvider.FencingToken; got != token+1 {
		t.Errorf("fencingToken: want %d after one more promotion, got %d", token+1, got)
	}
	f.waitWritable(t, di)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// stopAtStep returns hooks under which the provider stops at a step of a
// promotion, as if killed there, and a channel closed when it got there.
func stopAtStep(step string) (hooks, <-chan struct{}) {
	hit := make(chan struct{})
	var once sync.Once
	return hooks{failoverStep: func(ctx context.Context, s string) error {
		if s != step {
			return nil
		}
		once.Do(func() { close(hit) })
		// The provider is killed here: nothing more happens until the
		// manager stops.
		<-ctx.Done()
		return errors.New("provider stopped after " + s)
	}}, hit
}

// waitHit waits until the provider reached the step it stops at.
func waitHit(t *testing.T, hit <-chan struct{}, what, step string) {
	t.Helper()
	select {
	case <-hit:
	case <-time.After(timeout):
		t.Fatalf("%s never reached %s", what, step)
	}
}
