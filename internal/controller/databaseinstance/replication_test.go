package databaseinstance

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/executor"

	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// addVM creates another VirtualMachine in the fixture's namespace.
func (f *fixture) addVM(t *testing.T, name string) {
	t.Helper()
	vm := &computev1alpha1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name},
		Spec: computev1alpha1.VirtualMachineSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: pcRef(f.ns)},
			ForProvider:         computev1alpha1.VirtualMachineParameters{CPU: 1, MemoryMiB: 512},
		},
	}
	if err := f.env.Client.Create(context.Background(), vm); err != nil {
		t.Fatal(err)
	}
}

// replicated is an instance with a primary on "vm" and replicas on the
// named machines.
func (f *fixture) replicated(name string, replicaVMs ...string) *v1alpha1.DatabaseInstance {
	di := f.instance(name, 20)
	p := &di.Spec.ForProvider
	p.Topology = v1alpha1.TopologyPrimary
	p.Replicas = ptr(int32(len(replicaVMs)))
	for _, vm := range replicaVMs {
		p.VirtualMachineRefs = append(p.VirtualMachineRefs, xpv2.NamespacedReference{Name: vm})
	}
	return di
}

// memberDir is the directory of the instance's member on a machine.
func (f *fixture) memberDir(t *testing.T, vmName, instance string) string {
	t.Helper()
	vm := &computev1alpha1.VirtualMachine{}
	if err := f.env.Client.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: vmName}, vm); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(vm.Status.AtProvider.WorkDir, "postgresql", instance)
}

// connectTo connects with the connection secret's credentials to another
// address than its endpoint, such as a read-only one.
func (f *fixture) connectTo(ctx context.Context, di *v1alpha1.DatabaseInstance, hostPort string) (*pgx.Conn, error) {
	s := &corev1.Secret{}
	if err := f.env.Client.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: di.Name + "-conn"}, s); err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		return nil, err
	}
	host, port, _ := strings.Cut(hostPort, ":")
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, err
	}
	cfg.Host, cfg.Port, cfg.Database = host, uint16(p), "postgres"
	cfg.User, cfg.Password = string(s.Data["username"]), string(s.Data["password"])
	cfg.ConnectTimeout = 5 * time.Second
	// As an application would: verified against the secret's CA, never a
	// plain fallback.
	cfg.Fallbacks = nil
	if cfg.TLSConfig, err = secretTLS(s, cfg.Host); err != nil {
		return nil, err
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// readOnlyEndpoints reads the replicas' addresses from the connection secret.
func (f *fixture) readOnlyEndpoints(t *testing.T, di *v1alpha1.DatabaseInstance) []string {
	t.Helper()
	s := &corev1.Secret{}
	if err := f.env.Client.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: di.Name + "-conn"}, s); err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(s.Data[ConnectionReadOnlyEndpoints]), ",")
}

// eventuallyQuery runs query on the member at hostPort until it returns want.
func (f *fixture) eventuallyQuery(t *testing.T, di *v1alpha1.DatabaseInstance, hostPort, what, query, want string) {
	t.Helper()
	ctx := context.Background()
	wait.For(t, timeout, what, func() (bool, string) {
		c, err := f.connectTo(ctx, di, hostPort)
		if err != nil {
			return false, err.Error()
		}
		defer c.Close(ctx)
		var got string
		if err := c.QueryRow(ctx, query).Scan(&got); err != nil {
			return false, err.Error()
		}
		return got == want, "got " + got
	})
}

// replicas checks a fresh primary with two async replicas (the first step
// of TestFailover, before anything was promoted): the status says who is
// primary and each member's role, position and stream, the connection
// secret lists the replicas' read-only endpoints, a row written on the
// primary is read on both replicas, which refuse writes of their own, and
// the replication password is the instance's own. It writes the row
// 'async' into table t, which syncCommitWaits reads again.
func (r *failoverRig) replicas(t *testing.T) {
	ctx := context.Background()
	f, di := r.fixture, r.di
	c := f.env.Client
	if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
		t.Fatal(err)
	}
	ap := di.Status.AtProvider
	if ap.Primary != "vm" || ap.Endpoint != "127.0.0.1" || len(ap.Members) != 3 || len(ap.ReadOnlyEndpoints) != 2 || ap.SynchronousStandbyNames != "" {
		t.Fatalf("status.atProvider: unexpected %+v", ap)
	}
	for n, m := range ap.Members {
		wantRole := v1alpha1.RoleReplica
		if n == 0 {
			wantRole = v1alpha1.RolePrimary
		}
		if m.Role != wantRole || !m.Running || m.LSN == "" {
			t.Errorf("member %d: want a running %s with an LSN, got %+v", n, wantRole, m)
		}
		if n > 0 && (m.Streaming != "streaming" || m.SyncState != "async" || m.LagBytes == nil || *m.LagBytes < 0 ||
			ap.ReadOnlyEndpoints[n-1] != "127.0.0.1:"+strconv.Itoa(int(m.Port))) {
			t.Errorf("replica %d: want streaming async with a lag and its read-only endpoint, got %+v (endpoints %v)", n, m, ap.ReadOnlyEndpoints)
		}
	}
	ro := f.readOnlyEndpoints(t, di)
	if strings.Join(ro, ",") != strings.Join(ap.ReadOnlyEndpoints, ",") {
		t.Errorf("connection secret readOnlyEndpoints: want %v, got %v", ap.ReadOnlyEndpoints, ro)
	}

	conn, err := f.tryConnect(di)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE t (v text); INSERT INTO t VALUES ('async')"); err != nil {
		t.Fatal(err)
	}
	for _, hp := range ro {
		f.eventuallyQuery(t, di, hp, "row on replica "+hp, "SELECT string_agg(v, ',') FROM t", "async")
		rc, err := f.connectTo(ctx, di, hp)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rc.Exec(ctx, "INSERT INTO t VALUES ('x')"); err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("replica %s: want a write refused as read-only, got %v", hp, err)
		}
		_ = rc.Close(ctx)
	}

	rs := mustSecret(t, c, f.ns, "pg-replication")
	if string(rs.Data["password"]) == "" || len(rs.GetOwnerReferences()) != 1 || rs.GetOwnerReferences()[0].UID != di.GetUID() {
		t.Errorf("replication Secret: want a password owned by the instance, got owners %+v", rs.GetOwnerReferences())
	}
}

// replicaVMs returns the machines of the instance's replicas, in the
// spec's order, the order synchronous_standby_names names them in.
func replicaVMs(di *v1alpha1.DatabaseInstance) []string {
	var out []string
	for _, ref := range di.Spec.ForProvider.VirtualMachineRefs {
		if ref.Name != di.Status.AtProvider.Primary {
			out = append(out, ref.Name)
		}
	}
	return out
}

// waitQuorum waits until the primary of an instance switched to sync
// ANY 1 names both replicas in synchronous_standby_names, counts both in
// its quorum, and the status shows it.
func (f *fixture) waitQuorum(t *testing.T, di *v1alpha1.DatabaseInstance) {
	t.Helper()
	ctx := context.Background()
	c := f.env.Client
	var want string
	wait.For(t, timeout, "status shows the quorum", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		ap := di.Status.AtProvider
		replicas := replicaVMs(di)
		want = `ANY 1 ("` + strings.Join(replicas, `", "`) + `")`
		quorum := 0
		for _, m := range ap.Members {
			if m.VirtualMachine != ap.Primary && m.SyncState == "quorum" {
				quorum++
			}
		}
		return ap.SynchronousStandbyNames == want && len(ap.Members) == 3 && quorum == 2 &&
			di.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue, ap.SynchronousStandbyNames + " " + strconv.Itoa(quorum) + " in the quorum"
	})
	replicas := replicaVMs(di)
	primary := "127.0.0.1:" + strconv.Itoa(int(ports(di)[di.Status.AtProvider.Primary]))
	f.eventuallyQuery(t, di, primary, "synchronous_standby_names applied", "SHOW synchronous_standby_names", want)
	f.eventuallyQuery(t, di, primary, "both replicas in the quorum",
		"SELECT string_agg(application_name || '=' || sync_state, ',' ORDER BY application_name) FROM pg_stat_replication",
		replicas[0]+"=quorum,"+replicas[1]+"=quorum")
}

// syncCommitWaits stops the provider and both replicas of the sync (ANY 1)
// instance the failover steps leave behind: a commit on the primary waits,
// and it is acknowledged once a new provider has a replica running again.
// Both replicas then hold the rows of table t.
func (r *failoverRig) syncCommitWaits(t *testing.T) {
	ctx := context.Background()
	f, di := r.fixture, r.di
	primaryVM, _ := r.current(t)
	if di.Status.AtProvider.SynchronousStandbyNames == "" {
		t.Fatalf("want a sync primary from the steps before, got synchronous_standby_names empty")
	}
	primary := "127.0.0.1:" + strconv.Itoa(int(ports(di)[primaryVM]))
	ro := f.readOnlyEndpoints(t, di)
	conn, err := f.connectTo(ctx, di, primary)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	r.stop()
	for _, vm := range replicaVMs(di) {
		rep := &postgresql.Instance{Exec: executor.Local{}, Version: "15", Dir: f.memberDir(t, vm, "pg")}
		if err := rep.Stop(ctx); err != nil {
			t.Fatalf("cannot stop the replica on %s: %v", vm, err)
		}
		if up, err := rep.Running(ctx); err != nil || up {
			t.Fatalf("cannot stop the replica on %s: running %v, %v", vm, up, err)
		}
	}
	done := make(chan error, 1)
	go func() { _, err := conn.Exec(ctx, "INSERT INTO t VALUES ('sync')"); done <- err }()
	watcher, err := f.connectTo(ctx, di, primary)
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close(ctx)
	wait.For(t, timeout, "commit waits for a replica", func() (bool, string) {
		var n int
		if err := watcher.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'").Scan(&n); err != nil {
			return false, err.Error()
		}
		return n == 1, strconv.Itoa(n) + " backends wait"
	})
	select {
	case err := <-done:
		t.Fatalf("the commit returned (%v) with no replica up", err)
	case <-time.After(time.Second):
	}
	r.start(hooks{})
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the waiting commit: %v", err)
		}
	case <-time.After(timeout):
		t.Fatal("the commit was not acknowledged after the replicas came back")
	}
	for _, hp := range ro {
		f.eventuallyQuery(t, di, hp, "sync row on replica "+hp, "SELECT string_agg(v, ',' ORDER BY v) FROM t", "async,sync")
	}
	f.waitReady(t, di)
}

// noPasswordLeaked checks that neither the replication nor the admin
// password is in events, status or the log of any provider that ran the
// instance through the steps before.
func (r *failoverRig) noPasswordLeaked(t *testing.T) {
	c := r.env.Client
	replPW := string(mustSecret(t, c, r.ns, "pg-replication").Data["password"])
	assertNoPassword(t, c, r.ns, replPW)
	assertNoPassword(t, c, r.ns, string(mustSecret(t, c, r.ns, "pg-admin").Data["password"]))
	if l := r.logs.String(); l == "" || strings.Contains(l, replPW) {
		t.Errorf("want a non-empty provider log without the replication password (log has %d bytes)", len(l))
	}
}

// deleteMembers deletes the instance: every member is stopped and its
// directory removed. It is the last step.
func (r *failoverRig) deleteMembers(t *testing.T) {
	ctx := context.Background()
	f, di := r.fixture, r.di
	c := f.env.Client
	var pids []int
	var dirs []string
	for _, vm := range []string{"vm", "vm-1", "vm-2"} {
		d := f.memberDir(t, vm, "pg")
		pids, dirs = append(pids, pgtest.OneServer(t, filepath.Join(d, "data"))), append(dirs, d)
	}
	if err := c.Delete(ctx, di); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "DatabaseInstance gone", func() (bool, string) {
		err := c.Get(ctx, client.ObjectKeyFromObject(di), &v1alpha1.DatabaseInstance{})
		return kerrors.IsNotFound(err), "still there"
	})
	for n, pid := range pids {
		if local.Alive(pid) {
			t.Errorf("postmaster %d still alive after the instance was deleted", pid)
		}
		if _, err := os.Stat(dirs[n]); !os.IsNotExist(err) {
			t.Errorf("member dir %s: want removed, stat says %v", dirs[n], err)
		}
	}
}

func mustSecret(t *testing.T, c client.Client, ns, name string) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
		t.Fatal(err)
	}
	return s
}

// switchover names vm-1 as the primary of a fresh instance (primary on vm,
// replicas on vm-1 and vm-2): it is promoted, the other replica follows it
// and the former primary rejoins as a replica, with no committed row lost.
// It is the first step of TestRollingRestart, whose rolls are switchovers
// too and which has no failover.
func (f *fixture) switchover(t *testing.T, di *v1alpha1.DatabaseInstance) {
	ctx := context.Background()
	c := f.env.Client
	if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
		t.Fatal(err)
	}
	if di.Status.AtProvider.Primary != "vm" {
		t.Fatalf("want the fresh instance's primary on vm, got %q", di.Status.AtProvider.Primary)
	}
	p := ports(di)
	conn := f.connect(t, di)
	if _, err := conn.Exec(ctx, "CREATE TABLE t (v text); INSERT INTO t VALUES ('before')"); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)

	asked := time.Now()
	patch(t, c, di, func(di *v1alpha1.DatabaseInstance) { di.Spec.ForProvider.Primary = "vm-1" })
	wait.For(t, timeout, "vm-1 is the primary and every member runs in its role", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		ap := di.Status.AtProvider
		roles := map[string]string{}
		streaming := 0
		for _, m := range ap.Members {
			roles[m.VirtualMachine] = m.Role
			if m.Streaming == "streaming" {
				streaming++
			}
		}
		ok := ap.Primary == "vm-1" && ap.Port == p["vm-1"] && roles["vm-1"] == v1alpha1.RolePrimary &&
			roles["vm"] == v1alpha1.RoleReplica && roles["vm-2"] == v1alpha1.RoleReplica && streaming == 2 &&
			di.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue
		return ok, "primary " + ap.Primary + " " + di.GetCondition(xpv2.TypeSynced).Message + " " + di.GetCondition(xpv2.TypeReady).Message
	})

	// A planned switchover is not a failover.
	if ls := di.Status.AtProvider.LastSwitchoverTime; ls == nil || ls.Before(&metav1.Time{Time: asked.Truncate(time.Second)}) {
		t.Errorf("lastSwitchoverTime: want at or after %s, got %v", asked.Format(time.RFC3339), ls)
	}
	if lf := di.Status.AtProvider.LastFailoverTime; lf != nil {
		t.Errorf("lastFailoverTime: want unset after a switchover, got %s", lf)
	}

	// The connection secret points at the new primary, which takes writes
	// that reach the former primary and the other replica.
	wait.For(t, timeout, "connection secret follows the primary", func() (bool, string) {
		s := mustSecret(t, c, f.ns, "pg-conn")
		return string(s.Data["port"]) == strconv.Itoa(int(p["vm-1"])), "port " + string(s.Data["port"])
	})
	conn, err := f.tryConnect(di)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "INSERT INTO t VALUES ('after')"); err != nil {
		t.Fatalf("write on the new primary: %v", err)
	}
	ro := f.readOnlyEndpoints(t, di)
	want := []string{"127.0.0.1:" + strconv.Itoa(int(p["vm"])), "127.0.0.1:" + strconv.Itoa(int(p["vm-2"]))}
	if strings.Join(ro, ",") != strings.Join(want, ",") {
		t.Errorf("readOnlyEndpoints: want %v, got %v", want, ro)
	}
	for _, hp := range want {
		f.eventuallyQuery(t, di, hp, "both rows on "+hp, "SELECT string_agg(v, ',' ORDER BY v) FROM t", "after,before")
		f.eventuallyQuery(t, di, hp, hp+" in recovery", "SELECT pg_is_in_recovery()::text", "true")
	}
	primary := "127.0.0.1:" + strconv.Itoa(int(p["vm-1"]))
	f.eventuallyQuery(t, di, primary, "replicas stream from the new primary",
		"SELECT string_agg(application_name || '=' || state, ',' ORDER BY application_name) FROM pg_stat_replication", "vm=streaming,vm-2=streaming")
	f.eventuallyQuery(t, di, primary, "slots on the new primary",
		"SELECT string_agg(slot_name || '=' || active, ',' ORDER BY slot_name) FROM pg_replication_slots", "dbaas_vm=true,dbaas_vm_2=true")
	f.eventuallyQuery(t, di, want[0], "no slots left on the former primary", "SELECT count(*)::text FROM pg_replication_slots", "0")
}
