package databaseinstance

import (
	"context"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// TestVirtualMachinesChange changes the machines of a replicated instance:
// dropping the primary's machine is refused by the API server, moving the
// primary to a new, empty machine is refused by the provider, each saying
// why, and afterwards the row written before is still there and the
// connection secret unchanged; replacing a replica's machine works.
func TestVirtualMachinesChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := testenv.Shared(t)
	c := env.Client
	f := newFixture(t, env, "di-members")
	for _, vm := range []string{"vm-1", "vm-2", "vm-3"} {
		f.addVM(t, vm)
	}
	startManager(t, env, hooks{})

	di := f.replicated("pg", "vm-1")
	// Machines by name, so that the test changes exactly the list.
	di.Spec.ForProvider.VirtualMachineRefs = nil
	di.Spec.ForProvider.VirtualMachines = []string{"vm", "vm-1"}
	if err := c.Create(ctx, di); err != nil {
		t.Fatal(err)
	}
	f.waitReady(t, di)
	if di.Status.AtProvider.Primary != "vm" {
		t.Fatalf("status.atProvider.primary: want vm, got %q", di.Status.AtProvider.Primary)
	}
	conn := f.connect(t, di)
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before')"); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)
	secretBefore := mustSecret(t, c, f.ns, "pg-conn").Data

	setVMs := func(vms ...string) error {
		return f.updateSpec(di, func(p *v1alpha1.DatabaseInstanceParameters) { p.VirtualMachines = vms })
	}

	// Dropping the primary's machine: the API server refuses, naming it.
	err := setVMs("vm-2", "vm-1")
	if err == nil || !strings.Contains(err.Error(), "spec.forProvider.virtualMachines must keep vm, which holds the data of the primary") {
		t.Fatalf("dropping the primary's machine: want refused by the API server, got %v", err)
	}

	// Moving the primary to a new machine while keeping the old one: the
	// provider refuses, saying what to do.
	if err := setVMs("vm-2", "vm"); err != nil {
		t.Fatalf("moving the primary first: %v", err)
	}
	wait.For(t, timeout, "Synced=False says the primary would move to an empty machine", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		s := di.GetCondition(xpv2.TypeSynced)
		return s.Status == corev1.ConditionFalse && strings.Contains(s.Message, "the primary would move from vm to vm-2, which holds no copy of the data yet"), s.Message
	})
	// Nothing was made on the new machine, the data and the published
	// credentials are the old server's.
	if _, err := os.Stat(f.memberDir(t, "vm-2", "pg")); !os.IsNotExist(err) {
		t.Errorf("refused move: want nothing on vm-2, stat says %v", err)
	}
	if diff := secretDiff(secretBefore, mustSecret(t, c, f.ns, "pg-conn").Data); diff != "" {
		t.Errorf("refused move: connection secret changed: %s", diff)
	}
	f.eventuallyQuery(t, di, "127.0.0.1:"+string(secretBefore["port"]), "row still on the primary", "SELECT string_agg(v, ',') FROM kept", "before")

	// Replacing the replica's machine is allowed: vm-3 gets a copy.
	if err := setVMs("vm", "vm-3"); err != nil {
		t.Fatalf("replacing the replica: %v", err)
	}
	wait.For(t, timeout, "replica on vm-3 streams", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		ms := di.Status.AtProvider.Members
		ok := di.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue && di.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue &&
			len(ms) == 2 && ms[1].VirtualMachine == "vm-3" && ms[1].Streaming == streaming
		return ok, di.GetCondition(xpv2.TypeSynced).Message + " " + di.GetCondition(xpv2.TypeReady).Message
	})
	ro := f.readOnlyEndpoints(t, di)
	f.eventuallyQuery(t, di, ro[0], "row on the new replica", "SELECT string_agg(v, ',') FROM kept", "before")
	after := mustSecret(t, c, f.ns, "pg-conn").Data
	for _, k := range []string{"endpoint", "port", "username", "password"} {
		if string(after[k]) != string(secretBefore[k]) {
			t.Errorf("after replacing the replica: connection secret %s changed", k)
		}
	}
}

// secretDiff names the keys whose values differ, never the values.
func secretDiff(a, b map[string][]byte) string {
	var out []string
	for k := range a {
		if string(a[k]) != string(b[k]) {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	return strings.Join(out, ",")
}
