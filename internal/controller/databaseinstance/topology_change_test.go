package databaseinstance

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// TestSingleToPrimary turns a live single instance into a primary with two
// replicas (the dev to standard or ha change): the single member becomes
// the primary on the same port with its data, the replicas get a copy and
// stream, the connection secret keeps its endpoint and gains the
// read-only ones, and writes keep working. Turning it back into a single
// instance is refused by the API server, saying what is allowed.
func TestSingleToPrimary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := testenv.Shared(t)
	c := env.Client
	f := newFixture(t, env, "di-single-primary")
	f.addVM(t, "vm-1")
	f.addVM(t, "vm-2")
	startManager(t, env, hooks{})

	di := f.instance("pg", 20)
	di.Spec.ForProvider.VirtualMachineRefs = nil
	di.Spec.ForProvider.VirtualMachines = []string{"vm"}
	if err := c.Create(ctx, di); err != nil {
		t.Fatal(err)
	}
	f.waitReady(t, di)
	f.write(t, di, "single")
	before := mustSecret(t, c, f.ns, "pg-conn").Data
	if _, ok := before[ConnectionReadOnlyEndpoints]; ok {
		t.Errorf("a single instance's connection secret has no read-only endpoints")
	}

	patch(t, c, di, func(di *v1alpha1.DatabaseInstance) {
		p := &di.Spec.ForProvider
		p.Topology, p.Replicas, p.VirtualMachines = v1alpha1.TopologyPrimary, ptr(2), []string{"vm", "vm-1", "vm-2"}
	})
	f.waitMembers(t, di, "vm", "vm-1", "vm-2")
	if got, want := strconv.Itoa(int(di.Status.AtProvider.Port)), string(before["port"]); got != want {
		t.Errorf("the primary's port: want the single member's %s, got %s", want, got)
	}
	f.write(t, di, "primary")
	after := mustSecret(t, c, f.ns, "pg-conn").Data
	for _, k := range []string{"endpoint", "port", "username", "password"} {
		if string(after[k]) != string(before[k]) {
			t.Errorf("connection secret %s changed when the single member became the primary", k)
		}
	}
	ro := f.readOnlyEndpoints(t, di)
	if len(ro) != 2 {
		t.Fatalf("readOnlyEndpoints: want two, got %v", ro)
	}
	for _, hp := range ro {
		f.eventuallyQuery(t, di, hp, "the single member's rows and the new ones on "+hp,
			"SELECT string_agg(v, ',' ORDER BY v) FROM kept", "primary,single")
		f.eventuallyQuery(t, di, hp, hp+" in recovery", "SELECT pg_is_in_recovery()::text", "true")
	}
	primary := "127.0.0.1:" + string(before["port"])
	f.eventuallyQuery(t, di, primary, "the primary takes writes", "SELECT (NOT pg_is_in_recovery())::text", "true")
	f.eventuallyQuery(t, di, primary, "wal_log_hints on, for pg_rewind after a switchover", "SELECT current_setting('wal_log_hints')", "on")

	// Back to single: refused, saying what is allowed.
	err := f.updateSpec(di, func(p *v1alpha1.DatabaseInstanceParameters) {
		p.Topology, p.Replicas, p.Replication, p.Failover, p.VirtualMachines = v1alpha1.TopologySingle, nil, nil, nil, []string{"vm"}
	})
	if err == nil || !strings.Contains(err.Error(), "topology can only change from single to primary") {
		t.Errorf("primary to single: want refused, saying what is allowed, got %v", err)
	}
}
