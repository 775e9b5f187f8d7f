package databaseinstance

import (
	"context"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// rollingFixture is a Ready primary on "vm" with replicas on vm-1 and
// vm-2 and a row written, whose provider runs with h; it returns the
// members' ports and the provider's stop function.
func rollingFixture(t *testing.T, ns string, h hooks) (*fixture, *v1alpha1.DatabaseInstance, map[string]int32, func()) {
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
	f.write(t, di, "before")
	return f, di, ports(di), stop
}

// resize raises shared_buffers and max_connections, as a larger size
// does: both are only read at server start.
func resize(t *testing.T, f *fixture, di *v1alpha1.DatabaseInstance) {
	t.Helper()
	patch(t, f.env.Client, di, func(di *v1alpha1.DatabaseInstance) {
		di.Spec.ForProvider.SharedBuffersMB, di.Spec.ForProvider.MaxConnections = ptr(160), ptr(30)
	})
}

// waitRolled waits until a replica took over and the instance is Ready and
// Synced, then checks that it took exactly one switchover, that every
// member runs with the new settings and that the new primary takes
// writes, with the rows from before.
func (f *fixture) waitRolled(t *testing.T, di *v1alpha1.DatabaseInstance, members map[string]int32) {
	t.Helper()
	ctx := context.Background()
	c := f.env.Client
	wait.For(t, timeout, "Ready and Synced after one switchover", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		ap := di.Status.AtProvider
		ok := ap.FencingToken >= 1 && ap.Primary != "vm" && ap.Primary == di.Spec.ForProvider.Primary &&
			di.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue && di.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue
		return ok, "primary " + ap.Primary + " token " + strconv.FormatInt(ap.FencingToken, 10) + " step " + ap.RestartStep +
			" synced: " + di.GetCondition(xpv2.TypeSynced).Message + " ready: " + di.GetCondition(xpv2.TypeReady).Message
	})
	if di.Status.AtProvider.LastSwitchoverTime == nil || di.Status.AtProvider.LastFailoverTime != nil {
		t.Errorf("want a switchover and no failover recorded, got lastSwitchoverTime %v lastFailoverTime %v",
			di.Status.AtProvider.LastSwitchoverTime, di.Status.AtProvider.LastFailoverTime)
	}
	for vm, port := range members {
		hp := "127.0.0.1:" + strconv.Itoa(int(port))
		f.eventuallyQuery(t, di, hp, vm+" runs with the new shared_buffers", "SELECT current_setting('shared_buffers')", "160MB")
		f.eventuallyQuery(t, di, hp, vm+" runs with the new max_connections", "SELECT current_setting('max_connections')", "30")
		f.eventuallyQuery(t, di, hp, vm+" waits for no restart", "SELECT count(*)::text FROM pg_settings WHERE pending_restart", "0")
	}
	f.waitWritable(t, di)
	f.write(t, di, "after")
	primary := "127.0.0.1:" + strconv.Itoa(int(members[di.Status.AtProvider.Primary]))
	f.eventuallyQuery(t, di, primary, "the new primary has every row", "SELECT string_agg(v, ',' ORDER BY v) FROM kept", "after,before")
	f.eventuallyQuery(t, di, "127.0.0.1:"+strconv.Itoa(int(members["vm"])), "the former primary is a replica", "SELECT pg_is_in_recovery()::text", "true")
	if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
		t.Fatal(err)
	}
	if got := di.Status.AtProvider.FencingToken; got != 1 {
		t.Errorf("fencingToken once settled: want exactly one switchover (1), got %d", got)
	}
	if got := di.Status.AtProvider.RestartStep; got != "" {
		t.Errorf("restartStep once every member runs the new settings: want none, got %s", got)
	}
}

// TestRollingRestart raises shared_buffers and max_connections (a larger
// size) on a primary with two replicas: both need a restart, which rolls
// member by member with exactly one switchover (the fencing token grows by
// one), every member ends up running with the new settings, and the new
// primary takes writes.
func TestRollingRestart(t *testing.T) {
	t.Parallel()
	f, di, members, _ := rollingFixture(t, "di-rolling", hooks{})
	resize(t, f, di)
	f.waitRolled(t, di, members)
}

// TestRollingRestartProviderRestart stops the provider in the middle of a
// rolling restart, right after a step of its switchover; the restarted
// provider finishes it with exactly one switchover.
func TestRollingRestartProviderRestart(t *testing.T) {
	t.Parallel()
	for _, step := range []string{stepRollRecorded, stepPromoted} {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			h, hit := stopAtStep(step)
			f, di, members, stop := rollingFixture(t, "di-rolling-restart-"+strings.ReplaceAll(step, "-", ""), h)
			resize(t, f, di)
			waitHit(t, hit, "the rolling restart", step)
			stop()
			startManager(t, f.env, hooks{})
			f.waitRolled(t, di, members)
		})
	}
}
