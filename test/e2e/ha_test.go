package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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
	// The time the restore below goes back to: after every acknowledged
	// row, before the kill and the row written after the failover.
	var restoreTo time.Time
	if err := conn.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&restoreTo); err != nil {
		t.Fatal(err)
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

	restoreInto(t, ns, environment, secret, next, restoreTo, acked)

	deleteAndWait(t, db)
}

// restoreInto restores the ha Database orders to a time into a new dev
// Database through spec.restore, which the function composes as an
// instance bootstrapped from orders' stanza in the store, and checks that
// the new Database's own connection secret opens a database holding the
// rows committed by then and none after. The new Database is deleted;
// deleteAndWait of the source waits for what it composed too.
func restoreInto(t *testing.T, ns, environment, secret, primary string, at time.Time, acked int) {
	t.Helper()
	ctx := context.Background()

	// Replay stops at the first commit after the time, so the archive
	// must hold one: the row written after the failover. Its segment is
	// switched out by the superuser, over the new primary's unix socket
	// (the instance's secret is dbaas_admin, no superuser), and waited for
	// in the source's status, where the function looks.
	su := superuser(t, ns, primary)
	var segment string
	if err := su.QueryRow(ctx, "SELECT pg_walfile_name(pg_switch_wal())").Scan(&segment); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Minute, "the source to report WAL segment "+segment+" archived", func() bool {
		insts := listComposed(t, ns, "DatabaseInstance")
		if len(insts) != 1 {
			return false
		}
		last, _, _ := unstructured.NestedString(insts[0].Object, "status", "atProvider", "recoveryWindow", "lastArchivedWAL")
		return last >= segment
	})

	start := time.Now()
	restored := newDatabase(ns, "orders-restored", map[string]any{
		"environment": environment,
		"restore":     map[string]any{"from": "orders", "toTime": at.UTC().Format(time.RFC3339Nano)},
	})
	if err := env.Client.Create(ctx, restored); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Client.Delete(context.Background(), restored) }()
	if _, err := env.WaitForReady(ctx, localenv.DatabaseGVK, ns, "orders-restored", 10*time.Minute, func(s string) { t.Log(s) }); err != nil {
		t.Fatal(err)
	}
	t.Logf("the restored Database was Ready %s after it was created", time.Since(start).Round(time.Second))

	d, err := env.ConnectionDetails(ctx, ns, "orders-restored-db")
	if err != nil {
		t.Fatal(err)
	}
	src, err := env.ConnectionDetails(ctx, ns, secret)
	if err != nil {
		t.Fatal(err)
	}
	if d["password"] == src["password"] || d["database"] != src["database"] || d["username"] != src["username"] {
		t.Errorf("the restored Database's secret: want the source's role and database with a password of its own, got user %q database %q (source %q %q), same password %v",
			d["username"], d["database"], src["username"], src["database"], d["password"] == src["password"])
	}
	c, err := connect(t, d)
	if err != nil {
		t.Fatalf("the restored Database's connection secret does not open it: %v", err)
	}
	var rows, last int
	if err := c.QueryRow(ctx, "SELECT count(*), coalesce(max(id), 0) FROM acks").Scan(&rows, &last); err != nil {
		t.Fatal(err)
	}
	if rows != acked || last != acked {
		t.Errorf("the restored database holds %d rows up to id %d: want the %d committed before %s and none after", rows, last, acked, at.Format(time.RFC3339Nano))
	}
	if _, err := c.Exec(ctx, "INSERT INTO acks VALUES ($1)", acked+100); err != nil {
		t.Errorf("the restored database does not take writes: %v", err)
	}
}

// superuser connects as postgres over the unix socket of the member on a
// VirtualMachine, which its postmaster.pid names with its port; the
// provider's pg_ident.conf maps root to postgres there.
func superuser(t *testing.T, ns, vm string) *pgx.Conn {
	t.Helper()
	dataDir := memberDataDir(t, ns, vm)
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	// Line 4 is the port, line 5 the socket directory.
	lines := strings.Split(string(b), "\n")
	if len(lines) < 5 {
		t.Fatalf("%s/postmaster.pid: %q", dataDir, b)
	}
	c, err := pgx.Connect(context.Background(), fmt.Sprintf("host=%s port=%s user=postgres dbname=postgres", lines[4], lines[3]))
	if err != nil {
		t.Fatalf("cannot connect as postgres to %s: %v", vm, err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
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

// memberDataDir is the one data directory in the directory of the
// VirtualMachine vm, where the member on it keeps its server.
func memberDataDir(t *testing.T, ns, vm string) string {
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
	return dirs[0]
}

// killPostmaster SIGKILLs the postmaster of the member on a VirtualMachine,
// found by the postmaster.pid of the one data directory in the machine's
// directory: never by a process name.
func killPostmaster(t *testing.T, ns, vm string) {
	t.Helper()
	pid := pgtest.OneServer(t, memberDataDir(t, ns, vm))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("cannot kill the primary's postmaster %d: %v", pid, err)
	}
	t.Logf("killed the postmaster (PID %d) of the primary %s", pid, vm)
}
