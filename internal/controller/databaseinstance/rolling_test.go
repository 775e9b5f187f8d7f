package databaseinstance

import (
	"context"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// rollingFixture is a Ready primary on "vm" with replicas on vm-1 and
// vm-2, whose provider runs with h; it returns the provider's stop
// function.
func rollingFixture(t *testing.T, ns string, h hooks) (*fixture, *v1alpha1.DatabaseInstance, func()) {
	t.Helper()
	env := testenv.Shared(t)
	f := newFixture(t, env, ns)
	f.addVM(t, "vm-1")
	f.addVM(t, "vm-2")
	stop := startManager(t, env, h)
	di := f.replicated("pg", "vm-1", "vm-2")
	if err := env.Client.Create(context.Background(), di); err != nil {
		t.Fatal(err)
	}
	f.waitReady(t, di)
	if got := di.Status.AtProvider.FencingToken; got != 0 {
		t.Fatalf("fencingToken before any promotion: want 0, got %d", got)
	}
	return f, di, stop
}

// rollSize is what a roll changes to: shared_buffers (MB) and
// max_connections, both only read at server start.
type rollSize struct{ sharedBuffersMB, maxConnections int32 }

// resize raises shared_buffers and max_connections, as a larger size
// does.
func resize(t *testing.T, f *fixture, di *v1alpha1.DatabaseInstance, to rollSize) {
	t.Helper()
	patch(t, f.env.Client, di, func(di *v1alpha1.DatabaseInstance) {
		di.Spec.ForProvider.SharedBuffersMB, di.Spec.ForProvider.MaxConnections = ptr(to.sharedBuffersMB), ptr(to.maxConnections)
	})
}

// roll is where a rolling restart starts: the primary and fencing token
// before it, the members' ports, and the size it rolls to. Its rows are
// written afresh, so that each roll checks its own.
type roll struct {
	primary string
	token   int64
	members map[string]int32
	to      rollSize
	asked   time.Time
}

// startRoll reads where the instance stands, writes the row "before" in
// a table of its own and asks for size to.
func (f *fixture) startRoll(t *testing.T, di *v1alpha1.DatabaseInstance, to rollSize) roll {
	t.Helper()
	ctx := context.Background()
	if err := f.env.Client.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
		t.Fatal(err)
	}
	conn, err := f.tryConnect(di)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS kept"); err != nil {
		t.Fatal(err)
	}
	f.write(t, di, "before")
	r := roll{primary: di.Status.AtProvider.Primary, token: di.Status.AtProvider.FencingToken, members: ports(di), to: to, asked: time.Now()}
	resize(t, f, di, to)
	return r
}

// waitRolled waits until a replica took over and the instance is Ready and
// Synced, then checks that it took exactly one switchover, that every
// member runs with the new settings and that the new primary takes
// writes, with the rows from before.
func (f *fixture) waitRolled(t *testing.T, di *v1alpha1.DatabaseInstance, r roll) {
	t.Helper()
	ctx := context.Background()
	c := f.env.Client
	wait.For(t, timeout, "Ready and Synced after one switchover", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		ap := di.Status.AtProvider
		ok := ap.FencingToken >= r.token+1 && ap.Primary != r.primary && ap.Primary == di.Spec.ForProvider.Primary &&
			di.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue && di.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue
		return ok, "primary " + ap.Primary + " token " + strconv.FormatInt(ap.FencingToken, 10) + " step " + ap.RestartStep +
			" synced: " + di.GetCondition(xpv2.TypeSynced).Message + " ready: " + di.GetCondition(xpv2.TypeReady).Message
	})
	// The switchover recorded is this roll's (the time is in whole
	// seconds), not one before it.
	if ls := di.Status.AtProvider.LastSwitchoverTime; ls == nil || ls.Before(&metav1.Time{Time: r.asked.Truncate(time.Second)}) || di.Status.AtProvider.LastFailoverTime != nil {
		t.Errorf("want a switchover at or after %s and no failover recorded, got lastSwitchoverTime %v lastFailoverTime %v",
			r.asked.Format(time.RFC3339), ls, di.Status.AtProvider.LastFailoverTime)
	}
	buffers, conns := strconv.Itoa(int(r.to.sharedBuffersMB))+"MB", strconv.Itoa(int(r.to.maxConnections))
	for vm, port := range r.members {
		hp := "127.0.0.1:" + strconv.Itoa(int(port))
		f.eventuallyQuery(t, di, hp, vm+" runs with the new shared_buffers", "SELECT current_setting('shared_buffers')", buffers)
		f.eventuallyQuery(t, di, hp, vm+" runs with the new max_connections", "SELECT current_setting('max_connections')", conns)
		f.eventuallyQuery(t, di, hp, vm+" waits for no restart", "SELECT count(*)::text FROM pg_settings WHERE pending_restart", "0")
	}
	f.waitWritable(t, di)
	f.write(t, di, "after")
	primary := "127.0.0.1:" + strconv.Itoa(int(r.members[di.Status.AtProvider.Primary]))
	f.eventuallyQuery(t, di, primary, "the new primary has every row", "SELECT string_agg(v, ',' ORDER BY v) FROM kept", "after,before")
	f.eventuallyQuery(t, di, "127.0.0.1:"+strconv.Itoa(int(r.members[r.primary])), "the former primary is a replica", "SELECT pg_is_in_recovery()::text", "true")
	if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
		t.Fatal(err)
	}
	if got := di.Status.AtProvider.FencingToken; got != r.token+1 {
		t.Errorf("fencingToken once settled: want exactly one switchover (%d), got %d", r.token+1, got)
	}
	if got := di.Status.AtProvider.RestartStep; got != "" {
		t.Errorf("restartStep once every member runs the new settings: want none, got %s", got)
	}
}

// TestRollingRestart first switches a fresh primary with two replicas
// over to a replica it names (Switchover). Then it raises shared_buffers
// and max_connections (a larger size): every member needs a restart,
// which rolls member by member with exactly one switchover (the fencing
// token grows by one), every member ends up running with the new
// settings, and the new primary takes writes.
//
// Then, on the same instance, it stops the provider in the middle of a
// rolling restart, right after a step of its switchover
// (ProviderRestart/<step>): the restarted provider finishes it with
// exactly one switchover. Each step needs a primary with two streaming
// replicas and no failover, and leaves exactly that behind, with a larger
// size after each roll, while an instance of its own takes 25–45 s of the
// package's time to become Ready on the suite's loaded machine. A step
// that fails ends the test: the next would start from a state it does not
// expect.
func TestRollingRestart(t *testing.T) {
	t.Parallel()
	f, di, stop := rollingFixture(t, "di-rolling", hooks{})
	// The provider lives as long as the test, not one step.
	whole := t
	if !t.Run("Switchover", func(t *testing.T) { f.switchover(t, di) }) {
		return
	}
	if !t.Run("Roll", func(t *testing.T) {
		f.waitRolled(t, di, f.startRoll(t, di, rollSize{160, 30}))
	}) {
		return
	}
	for n, step := range []string{stepRollRecorded, stepPromoted} {
		if !t.Run("ProviderRestart/"+step, func(t *testing.T) {
			h, hit := stopAtStep(step)
			stop()
			stop = startManager(whole, f.env, h)
			r := f.startRoll(t, di, rollSize{176 + 16*int32(n), 32 + 2*int32(n)})
			waitHit(t, hit, "the rolling restart", step)
			stop()
			stop = startManager(whole, f.env, hooks{})
			f.waitRolled(t, di, r)
		}) {
			return
		}
	}
}
