package databaseinstance

import (
	"context"
	"os"
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

// updateSpec changes the instance's parameters in one update, retrying on
// conflicts with the provider's own writes; it returns the API server's
// answer.
func (f *fixture) updateSpec(di *v1alpha1.DatabaseInstance, mod func(p *v1alpha1.DatabaseInstanceParameters)) error {
	return testenv.Mutate(context.Background(), f.env.Client, di, func(di *v1alpha1.DatabaseInstance) { mod(&di.Spec.ForProvider) })
}

// setMembers sets replicas and virtualMachines in one update.
func (f *fixture) setMembers(di *v1alpha1.DatabaseInstance, replicas int32, vms ...string) error {
	return f.updateSpec(di, func(p *v1alpha1.DatabaseInstanceParameters) {
		p.Replicas, p.VirtualMachines = &replicas, vms
	})
}

// waitMembers waits until the instance is Ready and Synced with exactly the
// named members, the first the primary and every other one streaming.
func (f *fixture) waitMembers(t *testing.T, di *v1alpha1.DatabaseInstance, vms ...string) {
	t.Helper()
	c := f.env.Client
	wait.For(t, timeout, "members "+strings.Join(vms, ","), func() (bool, string) {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		ms := di.Status.AtProvider.Members
		ok := len(ms) == len(vms) && di.Status.AtProvider.Primary == vms[0] &&
			di.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue && di.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue
		got := make([]string, len(ms))
		for n, m := range ms {
			got[n] = m.VirtualMachine + "=" + m.Role + "/" + m.Streaming
			ok = ok && m.VirtualMachine == vms[n] && (n == 0 || m.Streaming == streaming)
		}
		return ok, strings.Join(got, ",") + " synced: " + di.GetCondition(xpv2.TypeSynced).Message + " ready: " + di.GetCondition(xpv2.TypeReady).Message
	})
}

// write inserts v into the table kept on the primary of the connection
// secret.
func (f *fixture) write(t *testing.T, di *v1alpha1.DatabaseInstance, v string) {
	t.Helper()
	ctx := context.Background()
	conn, err := f.tryConnect(di)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS kept (v text)"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO kept VALUES ($1)", v); err != nil {
		t.Fatalf("write %q on the primary: %v", v, err)
	}
}

// TestReplicasChange adds a replica to a live sync (ANY 1) primary and
// removes it again: the new one gets a copy of the data and streams, the
// primary's synchronous_standby_names and slots follow each change, the
// removed one is stopped and its data removed, and the primary takes
// writes throughout. Taking the primary's machine off is refused, saying
// to switch over first.
func TestReplicasChange(t *testing.T) {
	t.Parallel()
	env := testenv.Shared(t)
	f := newFixture(t, env, "di-scale")
	f.addVM(t, "vm-1")
	f.addVM(t, "vm-2")
	startManager(t, env, hooks{})

	di := f.replicated("pg", "vm-1")
	di.Spec.ForProvider.VirtualMachineRefs = nil
	di.Spec.ForProvider.VirtualMachines = []string{"vm", "vm-1"}
	di.Spec.ForProvider.Replication = &v1alpha1.ReplicationParameters{Mode: v1alpha1.ReplicationSync, SyncQuorum: ptr(1)}
	if err := env.Client.Create(context.Background(), di); err != nil {
		t.Fatal(err)
	}
	f.waitMembers(t, di, "vm", "vm-1")
	primary := "127.0.0.1:" + strconv.Itoa(int(di.Status.AtProvider.Port))
	f.write(t, di, "one replica")

	// 1 -> 2 replicas.
	if err := f.setMembers(di, 2, "vm", "vm-1", "vm-2"); err != nil {
		t.Fatalf("adding a replica: %v", err)
	}
	f.waitMembers(t, di, "vm", "vm-1", "vm-2")
	if got, want := di.Status.AtProvider.SynchronousStandbyNames, `ANY 1 ("vm-1", "vm-2")`; got != want {
		t.Errorf("synchronous_standby_names with two replicas: want %s, got %s", want, got)
	}
	f.write(t, di, "two replicas")
	ro := f.readOnlyEndpoints(t, di)
	if len(ro) != 2 {
		t.Fatalf("readOnlyEndpoints: want two, got %v", ro)
	}
	f.eventuallyQuery(t, di, ro[1], "the rows from before and after on the new replica",
		"SELECT string_agg(v, ',' ORDER BY v) FROM kept", "one replica,two replicas")
	f.eventuallyQuery(t, di, primary, "a slot for each replica",
		"SELECT string_agg(slot_name || '=' || active, ',' ORDER BY slot_name) FROM pg_replication_slots", "dbaas_vm_1=true,dbaas_vm_2=true")

	// The primary's machine cannot be taken off.
	err := f.setMembers(di, 1, "vm-1", "vm-2")
	if err == nil || !strings.Contains(err.Error(), "switch over to a replica first") {
		t.Errorf("taking the primary's machine off: want refused, saying to switch over first, got %v", err)
	}

	// 2 -> 1 replica.
	removed := f.memberDir(t, "vm-2", "pg")
	if err := f.setMembers(di, 1, "vm", "vm-1"); err != nil {
		t.Fatalf("removing a replica: %v", err)
	}
	f.waitMembers(t, di, "vm", "vm-1")
	if got, want := di.Status.AtProvider.SynchronousStandbyNames, `ANY 1 ("vm-1")`; got != want {
		t.Errorf("synchronous_standby_names with one replica: want %s, got %s", want, got)
	}
	if ro := f.readOnlyEndpoints(t, di); len(ro) != 1 {
		t.Errorf("readOnlyEndpoints after removing a replica: want one, got %v", ro)
	}
	if _, err := os.Stat(removed); !os.IsNotExist(err) {
		t.Errorf("the removed replica's directory %s: want removed, stat says %v", removed, err)
	}
	f.eventuallyQuery(t, di, primary, "only the remaining replica's slot",
		"SELECT string_agg(slot_name || '=' || active, ',' ORDER BY slot_name) FROM pg_replication_slots", "dbaas_vm_1=true")
	f.eventuallyQuery(t, di, primary, "only the remaining replica streams",
		"SELECT string_agg(application_name || '=' || state, ',' ORDER BY application_name) FROM pg_stat_replication", "vm-1=streaming")
	f.write(t, di, "one replica again")
	f.eventuallyQuery(t, di, f.readOnlyEndpoints(t, di)[0], "every row on the remaining replica",
		"SELECT string_agg(v, ',' ORDER BY v) FROM kept", "one replica,one replica again,two replicas")
}
