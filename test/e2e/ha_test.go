package e2e

import (
	"context"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/internal/localenv"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
)

// TestHADatabaseFailsOver follows an ha Database through live Crossplane
// core to three running members, kills its primary's postmaster with
// SIGKILL, and sees the Database name the replica that took over while its
// connection secret follows it: an application that re-reads the secret
// writes again, and finds every row whose commit was acknowledged before the
// kill (the ha tier commits synchronously to a replica). Its environment
// names a ClusterBackupStore, so the ha tier's backup policy is composed:
// before the kill, the composed schedule's first backup completes into the
// store and the instance reports WAL archiving healthy.
func TestHADatabaseFailsOver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const ns = "ha-failover"
	createNamespace(t, ns)
	environment, repo := backupEnvironment(t, "e2e-backups")

	db := newDatabase(ns, "orders", map[string]any{"tier": "ha", "environment": environment})
	if err := env.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A failed test still stops its three servers.
		if t.Failed() {
			_ = env.Client.Delete(context.Background(), db)
		}
	})
	// Three machines and an engine on each: generous, for a loaded machine.
	xr, err := env.WaitForReady(ctx, localenv.DatabaseGVK, ns, "orders", 12*time.Minute, func(s string) { t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}

	members := statusMembers(t, xr)
	if len(members) != 3 {
		t.Fatalf("status.members: want three members, got %v", members)
	}
	primary, _, _ := unstructured.NestedString(xr.Object, "status", "primary")
	roles := map[string]int{}
	for name, role := range members {
		roles[role]++
		if role == "primary" && name != primary {
			t.Errorf("status.members names %s primary, status.primary names %q", name, primary)
		}
	}
	if roles["primary"] != 1 || roles["replica"] != 2 {
		t.Fatalf("status.members: want one primary and two replicas, got roles %v", roles)
	}
	assertFirstBackup(t, ns, "orders", environment, repo)

	secret := db.Object["spec"].(map[string]any)["writeConnectionSecretToRef"].(map[string]any)["name"].(string)
	before, err := env.ConnectionDetails(ctx, ns, secret)
	if err != nil {
		t.Fatal(err)
	}
	assertSecretOnPrimary(t, ns, before, primary)
	conn, err := connect(t, before)
	if err != nil {
		t.Fatalf("the connection secret does not open the database with verify-full: %v", err)
	}
	var standbys string
	if err := conn.QueryRow(ctx, "SHOW synchronous_standby_names").Scan(&standbys); err != nil || standbys == "" {
		t.Errorf("the ha tier's primary commits asynchronously: synchronous_standby_names %q (%v)", standbys, err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE acks (id int PRIMARY KEY)"); err != nil {
		t.Fatalf("the application cannot create a table: %v", err)
	}
	// Each commit returns only once a replica holds it.
	const acked = 20
	for i := 1; i <= acked; i++ {
		if _, err := conn.Exec(ctx, "INSERT INTO acks VALUES ($1)", i); err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
	}
	_ = conn.Close(ctx)

	killPostmaster(t, ns, primary)

	// The provider promotes a replica; the function reports it; the sql
	// User rewrites the secret with the new primary's address.
	var next string
	waitFor(t, 10*time.Minute, "the Database's status.primary to name another member", func() bool {
		u := getDatabase(t, ns, "orders")
		next, _, _ = unstructured.NestedString(u.Object, "status", "primary")
		return next != "" && next != primary
	})
	if _, ok := statusMembers(t, getDatabase(t, ns, "orders"))[next]; !ok {
		t.Errorf("the new primary %s is not one of the Database's members", next)
	}
	var after map[string]string
	waitFor(t, 10*time.Minute, "the connection secret to follow the new primary "+next, func() bool {
		d, err := env.ConnectionDetails(ctx, ns, secret)
		if err != nil {
			return false
		}
		ep, ok := memberEndpoint(t, ns, next)
		after = d
		return ok && net.JoinHostPort(d["endpoint"], d["port"]) == ep
	})
	if net.JoinHostPort(after["endpoint"], after["port"]) == net.JoinHostPort(before["endpoint"], before["port"]) {
		t.Errorf("the connection secret still names %s:%s, the killed primary", before["endpoint"], before["port"])
	}

	// An application re-reading the secret writes again.
	var rows int
	waitFor(t, 5*time.Minute, "an application re-reading the secret to write again", func() bool {
		d, err := env.ConnectionDetails(ctx, ns, secret)
		if err != nil {
			return false
		}
		c, err := localenv.Connect(ctx, d)
		if err != nil {
			return false
		}
		defer func() { _ = c.Close(ctx) }()
		// Idempotent, so that a retry after a write that went through
		// still proves the server takes writes: a replica refuses it.
		if _, err := c.Exec(ctx, "INSERT INTO acks VALUES ($1) ON CONFLICT DO NOTHING", acked+1); err != nil {
			return false
		}
		return c.QueryRow(ctx, "SELECT count(*) FROM acks WHERE id <= $1", acked).Scan(&rows) == nil
	})
	if rows != acked {
		t.Errorf("the new primary holds %d of the %d rows acknowledged before the kill", rows, acked)
	}

	// The failover's time, which the DatabaseInstance records with the
	// epoch before it promotes, reaches the Database's status.
	var reported, shown string
	waitFor(t, 3*time.Minute, "the DatabaseInstance's and the Database's lastFailoverTime", func() bool {
		insts := listComposed(t, ns, "DatabaseInstance")
		if len(insts) != 1 {
			t.Fatalf("want one DatabaseInstance in %s, got %d", ns, len(insts))
		}
		reported, _, _ = unstructured.NestedString(insts[0].Object, "status", "atProvider", "lastFailoverTime")
		shown, _, _ = unstructured.NestedString(getDatabase(t, ns, "orders").Object, "status", "lastFailoverTime")
		return reported != "" && shown == reported
	})
	if _, err := time.Parse(time.RFC3339, shown); err != nil {
		t.Errorf("status.lastFailoverTime %q is not a date-time: %v", shown, err)
	}

	deleteAndWait(t, db)
}

// getDatabase returns a platform Database as it is now.
func getDatabase(t *testing.T, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(localenv.DatabaseGVK)
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatalf("cannot get Database %s/%s: %v", ns, name, err)
	}
	return u
}

// statusMembers returns the role of each member a Database's status lists,
// by VirtualMachine name.
func statusMembers(t *testing.T, xr *unstructured.Unstructured) map[string]string {
	t.Helper()
	ms, _, _ := unstructured.NestedSlice(xr.Object, "status", "members")
	out := map[string]string{}
	for _, m := range ms {
		mm, _ := m.(map[string]any)
		name, _ := mm["name"].(string)
		role, _ := mm["role"].(string)
		out[name] = role
	}
	return out
}

// memberEndpoint returns host:port of a member as the namespace's
// DatabaseInstance reports it.
func memberEndpoint(t *testing.T, ns, vm string) (string, bool) {
	t.Helper()
	for _, inst := range listComposed(t, ns, "DatabaseInstance") {
		ms, _, _ := unstructured.NestedSlice(inst.Object, "status", "atProvider", "members")
		for _, m := range ms {
			mm, _ := m.(map[string]any)
			if mm["virtualMachine"] != vm {
				continue
			}
			addr, _ := mm["address"].(string)
			port, ok, _ := unstructured.NestedInt64(mm, "port")
			if addr == "" || !ok {
				return "", false
			}
			return net.JoinHostPort(addr, strconv.FormatInt(port, 10)), true
		}
	}
	return "", false
}

// assertSecretOnPrimary checks that connection details name the primary's
// address and port.
func assertSecretOnPrimary(t *testing.T, ns string, d map[string]string, primary string) {
	t.Helper()
	ep, ok := memberEndpoint(t, ns, primary)
	if !ok {
		t.Fatalf("the DatabaseInstance reports no address for the primary %s", primary)
	}
	if got := net.JoinHostPort(d["endpoint"], d["port"]); got != ep {
		t.Errorf("the connection secret names %s, the primary %s is at %s", got, primary, ep)
	}
}

// killPostmaster SIGKILLs the postmaster of the member on a VirtualMachine,
// found by the postmaster.pid of the one data directory in the machine's
// directory: never by a process name.
func killPostmaster(t *testing.T, ns, vm string) {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(composedGVK(t, "VirtualMachine"))
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: vm}, u); err != nil {
		t.Fatalf("cannot get VirtualMachine %s: %v", vm, err)
	}
	workDir, _, _ := unstructured.NestedString(u.Object, "status", "atProvider", "workDir")
	if workDir == "" {
		t.Fatalf("VirtualMachine %s reports no workDir", vm)
	}
	dirs := dataDirs(t, workDir)
	if len(dirs) != 1 {
		t.Fatalf("want one data directory below %s, got %v", workDir, dirs)
	}
	pid := pgtest.OneServer(t, dirs[0])
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("cannot kill the primary's postmaster %d: %v", pid, err)
	}
	t.Logf("killed the postmaster (PID %d) of the primary %s", pid, vm)
}
