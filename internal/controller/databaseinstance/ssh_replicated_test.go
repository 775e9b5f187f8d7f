package databaseinstance

import (
	"context"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/engine/pgvm"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/testhost"
	"github.com/dbaas-io/dbaas/internal/testing/wait"

	ctrl "sigs.k8s.io/controller-runtime"
)

// sshTimeout bounds the waits of the tests on test hosts: every step of
// the engine is a command over SSH, through sudo, on a loaded machine.
const sshTimeout = 5 * time.Minute

// hostsFixture is a namespace whose VirtualMachines are test hosts with
// their own network address and a real sshd: the test writes the
// VirtualMachines' status (Ready, the host's address) as a backend would,
// and the provider config logs in to them over SSH with the hosts' client
// key. The config's backend is local only so that each member's files
// live below its host's own directory (the hosts share this machine's file
// system); the members are reached and run over SSH alone.
type hostsFixture struct {
	*fixture
	hosts map[string]*testhost.Host
	// stop stops the provider the fixture started.
	stop func()
}

func newHostsFixture(t *testing.T, ns string, names ...string) *hostsFixture {
	t.Helper()
	return newHostsFixtureWith(t, hooks{}, ns, names...)
}

// newHostsFixtureWith is newHostsFixture with the provider started under
// hooks h.
func newHostsFixtureWith(t *testing.T, h hooks, ns string, names ...string) *hostsFixture {
	t.Helper()
	ctx := context.Background()
	net := testhost.NewNetwork(t)
	env := testenv.Shared(t)
	c := env.Client
	base := machinesBase(t, env, ns)
	f := &hostsFixture{fixture: &fixture{env: env, ns: ns, base: base}, hosts: map[string]*testhost.Host{}}
	for _, name := range names {
		f.hosts[name] = net.Host(t, name)
	}
	if err := c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ssh-key"}, Data: map[string][]byte{"id": f.hosts[names[0]].ClientKeyPEM()}}); err != nil {
		t.Fatal(err)
	}
	start, end := portWindow(t)
	// Through sudo, as on a VM whose login user is not root: every host's
	// login is root here (the config has one user for every machine), and
	// sudo -n runs each command as on a VM.
	if err := c.Create(ctx, &apisv1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: ns},
		Spec: apisv1alpha1.ProviderConfigSpec{
			Backend: apisv1alpha1.BackendLocal,
			Local:   &apisv1alpha1.LocalBackendConfig{BaseDir: base, PortRangeStart: start, PortRangeEnd: end},
			SSH: &apisv1alpha1.SSHConfig{
				User: "root", Port: 22, Packages: apisv1alpha1.PackagesPreinstalled,
				PrivateKeySecretRef: xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: ns, Name: "ssh-key"}, Key: "id"},
			},
		},
	}); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		h := f.hosts[name]
		vm := &computev1alpha1.VirtualMachine{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: computev1alpha1.VirtualMachineSpec{
				ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: pcRef(ns)},
				ForProvider:         computev1alpha1.VirtualMachineParameters{CPU: 1, MemoryMiB: 512},
			},
		}
		if err := c.Create(ctx, vm); err != nil {
			t.Fatal(err)
		}
		vm.Status.AtProvider.Address = h.Address().String()
		vm.Status.AtProvider.WorkDir = h.Dir()
		vm.Status.AtProvider.PortRangeStart = pgvm.DefaultPort
		vm.SetConditions(xpv2.Available())
		if err := c.Status().Update(ctx, vm); err != nil {
			t.Fatal(err)
		}
	}
	f.vm = &computev1alpha1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: names[0]}}
	f.stop = f.startProvider(t, h)
	return f
}

// startProvider starts the provider for the hosts under hooks h: only the
// instances' controller, since nothing else writes the VirtualMachines'
// status, and every member runs the self-fencing watchdog, as with the
// provider's own binary beside it.
func (f *hostsFixture) startProvider(t *testing.T, h hooks) (stop func()) {
	t.Helper()
	bin := watchdogBinary(t)
	withHooks := func(mgr ctrl.Manager, o options.Options) error {
		o.WatchdogBinary = bin
		return setup(mgr, o, h)
	}
	return f.env.StartManager(t, testenv.ManagerConfig{Setups: []testenv.Setup{config.Setup, withHooks}, Log: logr.Discard()})
}

// hostPortOf is where the member on host name listens.
func (f *hostsFixture) hostPortOf(name string) string {
	return net.JoinHostPort(f.hosts[name].Address().String(), strconv.Itoa(pgvm.DefaultPort))
}

// sshReplicated creates a sync ANY 1 primary on "a" with replicas on "b"
// and "c", through the hosts' provider config.
func (f *hostsFixture) sshReplicated(t *testing.T, mod func(p *v1alpha1.DatabaseInstanceParameters)) *v1alpha1.DatabaseInstance {
	t.Helper()
	di := f.replicated("pg", "b", "c")
	di.Spec.ForProvider.Replication = &v1alpha1.ReplicationParameters{Mode: v1alpha1.ReplicationSync, SyncQuorum: ptr(1)}
	if mod != nil {
		mod(&di.Spec.ForProvider)
	}
	if err := f.env.Client.Create(context.Background(), di); err != nil {
		t.Fatal(err)
	}
	return di
}

// waitRoles waits until primary is the instance's primary of record, in
// its status and connection secret, with the two others streaming from it
// and the instance Ready.
func (f *hostsFixture) waitRoles(t *testing.T, di *v1alpha1.DatabaseInstance, primary string) {
	t.Helper()
	ctx := context.Background()
	c := f.env.Client
	wait.For(t, sshTimeout, primary+" is the primary and the others stream from it", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		ap := di.Status.AtProvider
		ok := ap.Primary == primary && ap.Endpoint == f.hosts[primary].Address().String() && len(ap.Members) == len(di.Spec.ForProvider.VirtualMachines) &&
			di.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue
		for _, m := range ap.Members {
			want := v1alpha1.RoleReplica
			if m.VirtualMachine == primary {
				want = v1alpha1.RolePrimary
			}
			ok = ok && m.Role == want && m.Address == f.hosts[m.VirtualMachine].Address().String() && m.Port == pgvm.DefaultPort
			if want == v1alpha1.RoleReplica {
				ok = ok && m.Streaming == streaming
			}
		}
		return ok, "primary " + ap.Primary + " members " + memberRoles(ap.Members) + "; ready: " +
			di.GetCondition(xpv2.TypeReady).Message + "; synced: " + di.GetCondition(xpv2.TypeSynced).Message
	})
	wait.For(t, sshTimeout, "the connection secret names "+primary, func() (bool, string) {
		s := mustSecret(t, c, f.ns, "pg-conn")
		return string(s.Data[ConnectionEndpoint]) == f.hosts[primary].Address().String() && string(s.Data[ConnectionPort]) == strconv.Itoa(pgvm.DefaultPort),
			"endpoint " + string(s.Data[ConnectionEndpoint])
	})
	var want []string
	for _, vm := range di.Spec.ForProvider.VirtualMachines {
		if vm != primary {
			want = append(want, f.hostPortOf(vm))
		}
	}
	if got := f.readOnlyEndpoints(t, di); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("readOnlyEndpoints: want %v, got %v", want, got)
	}
	if got := di.Status.AtProvider.ReadOnlyEndpoints; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("status.atProvider.readOnlyEndpoints: want %v, got %v", want, got)
	}
}

func memberRoles(ms []v1alpha1.Member) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.VirtualMachine+"="+m.Role+"@"+m.Address+"/"+m.Streaming)
	}
	return strings.Join(out, ",")
}

// TestReplicatedOverSSH runs a primary and two sync ANY 1 replicas on three
// test hosts reached over real OpenSSH, through the same replicated code
// path as local members: every member listens on its host's address, the
// connection secret opens the primary with verify-full, the read-only
// endpoints are the replicas' addresses, and a switchover by
// spec.forProvider.primary moves the primary with the former one
// rejoining as a replica.
//
// Then it kills the new primary's postmaster under a writer
// (failoverAfterKill) on the same instance: a failover needs a primary
// with two streaming replicas on three test hosts, which take minutes of
// the package's time to set up, and the switchover leaves exactly that.
// failover.after is the failover tests' from the start, so the switchover
// is also the one of an instance whose failover is quick.
func TestReplicatedOverSSH(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newHostsFixture(t, "di-ssh-repl", "a", "b", "c")
	c := f.env.Client
	di := f.sshReplicated(t, func(p *v1alpha1.DatabaseInstanceParameters) {
		p.Failover = &v1alpha1.FailoverParameters{After: &metav1.Duration{Duration: failoverAfterForTests}}
	})
	f.waitRoles(t, di, "a")
	if got := di.Status.AtProvider.SSHHostKeys; len(got) != 3 || got["a"] != f.hosts["a"].HostKey() {
		t.Errorf("pinned host keys: want the three hosts', got %v", got)
	}

	conn, err := f.tryConnect(di)
	if err != nil {
		t.Fatalf("connection secret (verify-full on %s): %v", f.hosts["a"].Address(), err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE t (v text); INSERT INTO t VALUES ('before')"); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx)
	for _, vm := range []string{"b", "c"} {
		f.eventuallyQuery(t, di, f.hostPortOf(vm), "the row replayed on "+vm, "SELECT string_agg(v, ',') FROM t", "before")
	}
	f.eventuallyQuery(t, di, f.hostPortOf("a"), "sync ANY 1 on the primary", "SHOW synchronous_standby_names", `ANY 1 ("b", "c")`)

	patch(t, c, di, func(di *v1alpha1.DatabaseInstance) { di.Spec.ForProvider.Primary = "b" })
	f.waitRoles(t, di, "b")
	if ls := di.Status.AtProvider.LastSwitchoverTime; ls == nil {
		t.Error("lastSwitchoverTime: want it set after the switchover")
	}
	conn, err = f.tryConnect(di)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "INSERT INTO t VALUES ('after')"); err != nil {
		t.Fatalf("write on the new primary: %v", err)
	}
	for _, vm := range []string{"a", "c"} {
		f.eventuallyQuery(t, di, f.hostPortOf(vm), "both rows on "+vm, "SELECT string_agg(v, ',' ORDER BY v) FROM t", "after,before")
		f.eventuallyQuery(t, di, f.hostPortOf(vm), vm+" in recovery", "SELECT pg_is_in_recovery()::text", "true")
	}

	f.failoverAfterKill(t, di, "b")
}

// killPostmaster SIGKILLs the postmaster of the member on host name, by the
// PID in its postmaster.pid, read and killed inside the host.
func (f *hostsFixture) killPostmaster(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	x := f.hosts[name].Executor(t)
	pidFile := filepath.Join(f.hosts[name].Dir(), pgvm.DefaultMountPoint, sshEnginesDir, f.ns+"-pg", "data", "postmaster.pid")
	res, err := x.Run(ctx, executor.ShellCommand("head", "-n", "1", pidFile), nil)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("cannot read %s on %s: %v %s", pidFile, name, err, res.Stderr)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(res.Stdout))
	if err != nil {
		t.Fatalf("postmaster.pid on %s: %v", name, err)
	}
	if res, err := x.Run(ctx, executor.ShellCommand("kill", "-KILL", strconv.Itoa(pid)), nil); err != nil || res.ExitCode != 0 {
		t.Fatalf("cannot kill postmaster %d on %s: %v %s", pid, name, err, res.Stderr)
	}
	t.Logf("postmaster %d on %s killed", pid, name)
}

// failoverAfterKill kills the postmaster of primary, the instance's
// primary, on its host while a writer commits through the connection
// secret: a replica is promoted, the secret follows it, the writer writes
// again, no acknowledged row is lost (sync ANY 1), and the former primary
// rejoins as a replica.
func (f *hostsFixture) failoverAfterKill(t *testing.T, di *v1alpha1.DatabaseInstance, primary string) {
	t.Helper()
	ctx := context.Background()
	// A switchover before counts as an epoch too: one promotion is one
	// more than this.
	token := di.Status.AtProvider.FencingToken
	w := startWriter(t, f.fixture, di)
	wait.For(t, sshTimeout, "the writer has commits acknowledged", func() (bool, string) {
		return w.count() >= 100, strconv.Itoa(w.count()) + " acknowledged"
	})
	f.killPostmaster(t, primary)
	<-w.done
	f.waitWritable(t, di)

	c := f.env.Client
	var np string
	wait.For(t, sshTimeout, "a replica is the primary of record", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		np = di.Status.AtProvider.Primary
		return np != "" && np != primary, "primary " + np
	})
	f.waitRoles(t, di, np)
	if got := di.Status.AtProvider.FencingToken; got != token+1 {
		t.Errorf("fencingToken: want %d after one promotion, got %d", token+1, got)
	}
	if cond := di.GetCondition(v1alpha1.TypeFailover); cond.Status != corev1.ConditionTrue || !strings.Contains(cond.Message, "promoted "+np) {
		t.Errorf("Failover condition: unexpected %+v", cond)
	}
	lost, acked := f.lost(t, di, w)
	t.Logf("acknowledged writes: %d, lost after the failover: %d", acked, lost)
	if lost != 0 {
		t.Errorf("sync ANY 1: want no acknowledged write lost, lost %d of %d", lost, acked)
	}
	conn, err := f.tryConnect(di)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "INSERT INTO after_failover VALUES ('replicated')"); err != nil {
		t.Fatal(err)
	}
	f.eventuallyQuery(t, di, f.hostPortOf(primary), "former primary in recovery", "SELECT pg_is_in_recovery()::text", "true")
	f.eventuallyQuery(t, di, f.hostPortOf(primary), "former primary replays the new primary's writes",
		"SELECT count(*)::text FROM after_failover WHERE v = 'replicated'", "1")
}

// TestPowerOffOverSSH powers the primary's host off. Over SSH the provider
// cannot tell a machine that is off from one it is cut off from, so it
// promotes nothing and says why: the instance is not Synced, naming the
// SSH login that fails, and keeps its primary and fencing token for
// several times failover.after. Powered on again, the instance is Ready
// with every member in its role.
//
// Then it removes a replica from the live primary with two: the instance
// is Ready with the other two, and the removed member's server is stopped
// and its directory removed on its host. The scale-down runs on this
// test's instance rather than on one of its own because three test hosts
// and a replicated instance over SSH take about two and a half minutes of
// the package's time to set up, and a primary with two streaming replicas
// is what both need; the power-off leaves exactly that behind. The
// instance exports metrics: every member's exporter answers at the
// endpoint the status names after the power-on, and the removed member's
// is stopped with it.
func TestPowerOffOverSSH(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newHostsFixture(t, "di-ssh-off", "a", "b", "c")
	c := f.env.Client
	// The machines are named, not referenced: the scale-down sets
	// virtualMachines, which references would resolve over again.
	di := f.sshReplicated(t, func(p *v1alpha1.DatabaseInstanceParameters) {
		p.VirtualMachineRefs, p.VirtualMachines = nil, []string{"a", "b", "c"}
		p.Failover = &v1alpha1.FailoverParameters{After: &metav1.Duration{Duration: failoverAfterForTests}}
		p.Metrics = &v1alpha1.MetricsParameters{}
	})
	f.waitRoles(t, di, "a")

	f.hosts["a"].PowerOff(t)
	wait.For(t, sshTimeout, "the instance says it cannot log in to a", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		s := di.GetCondition(xpv2.TypeSynced)
		return s.Status == corev1.ConditionFalse && strings.Contains(s.Message, "VirtualMachine a") && strings.Contains(s.Message, stepConnect), s.Message
	})
	t.Logf("Synced=False: %s", di.GetCondition(xpv2.TypeSynced).Message)
	// Watched for five times failover.after: long enough for a promotion
	// to have happened had the provider taken the unreachable primary for
	// a dead one. Every replica stays in recovery throughout.
	for until := time.Now().Add(5 * failoverAfterForTests); time.Now().Before(until); time.Sleep(500 * time.Millisecond) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			t.Fatal(err)
		}
		if ap := di.Status.AtProvider; ap.Primary != "a" || ap.FencingToken != 0 {
			t.Fatalf("with a unreachable: want primary a and fencing token 0, got %s and %d", ap.Primary, ap.FencingToken)
		}
	}
	for _, vm := range []string{"b", "c"} {
		f.eventuallyQuery(t, di, f.hostPortOf(vm), vm+" still in recovery", "SELECT pg_is_in_recovery()::text", "true")
	}

	f.hosts["a"].PowerOn(t)
	wait.For(t, sshTimeout, "Ready again with one primary", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		return di.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue && di.GetCondition(xpv2.TypeSynced).Status == corev1.ConditionTrue,
			di.GetCondition(xpv2.TypeSynced).Message
	})
	np := di.Status.AtProvider.Primary
	t.Logf("after power-on the primary is %s (fencing token %d)", np, di.Status.AtProvider.FencingToken)
	f.waitRoles(t, di, np)
	// Each member's exporters run, the powered-off one's started again,
	// the PostgreSQL one with the role it has now.
	f.waitMemberMetrics(t, di)

	// Scale down: the last machine that is not the primary's goes, the
	// others stay in their order. Which one that is depends on where the
	// power-on left the primary.
	var keep []string
	removed := ""
	for _, vm := range slices.Backward(di.Spec.ForProvider.VirtualMachines) {
		if removed == "" && vm != np {
			removed = vm
			continue
		}
		keep = append([]string{vm}, keep...)
	}
	replica := keep[0]
	if replica == np {
		replica = keep[1]
	}
	// The replica that stays takes the new rules (its peer is gone) with a
	// reload. Restarted, it left the primary without a streaming replica
	// for as long as the restart took, which the primary's watchdog counts
	// towards fencing it: on a loaded machine, the likely way a run ended
	// with the replica promoted.
	startedAt := serverStartedAt(t, f, di, replica)
	exporters := f.exporterPIDs(t, removed)
	t.Logf("scale down: removing the member on %s, keeping %v", removed, keep)
	if err := f.setMembers(di, 1, keep...); err != nil {
		t.Fatalf("removing a replica: %v", err)
	}
	f.waitRoles(t, di, np)
	dir := filepath.Join(f.hosts[removed].Dir(), pgvm.DefaultMountPoint, sshEnginesDir, f.ns+"-pg")
	x := f.hosts[removed].Executor(t)
	wait.For(t, sshTimeout, "the member on "+removed+" removed", func() (bool, string) {
		res, err := x.Run(ctx, executor.ShellCommand("test", "-e", dir), nil)
		if err != nil {
			return false, err.Error()
		}
		return res.ExitCode != 0, dir + " still there"
	})
	for _, pid := range exporters {
		if gone, why := f.processGone(t, removed, pid); !gone {
			t.Errorf("the removed member's exporters: %s", why)
		}
	}
	f.eventuallyQuery(t, di, f.hostPortOf(np), "only "+replica+" streams from the primary",
		"SELECT string_agg(application_name || '=' || state, ',') FROM pg_stat_replication", replica+"=streaming")
	if got := serverStartedAt(t, f, di, replica); got != startedAt {
		t.Errorf("the scale-down restarted %s: its server started at %s, now at %s", replica, startedAt, got)
	}
}

// serverStartedAt is when the server of the member on vm started, as it says.
func serverStartedAt(t *testing.T, f *hostsFixture, di *v1alpha1.DatabaseInstance, vm string) string {
	t.Helper()
	ctx := context.Background()
	c, err := f.connectTo(ctx, di, f.hostPortOf(vm))
	if err != nil {
		t.Fatalf("connecting to %s: %v", vm, err)
	}
	defer c.Close(ctx)
	var at string
	if err := c.QueryRow(ctx, "SELECT pg_postmaster_start_time()::text").Scan(&at); err != nil {
		t.Fatalf("reading when %s started: %v", vm, err)
	}
	return at
}
