package databaseinstance

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// timeout bounds the waits of the tests on local machines. It is generous:
// the tests run side by side (t.Parallel) on a machine that other builds
// and tests load too, where a replicated instance once took more than 90
// seconds to become Ready (load 35 on 2 cores). A wait that is met
// returns at once.
const timeout = 3 * time.Minute

// startManager runs the config, virtualmachine and databaseinstance
// controllers until the returned stop function is called (or the test ends).
func startManager(t *testing.T, env *testenv.Env, h hooks) (stop func()) {
	t.Helper()
	return startManagerWithLogger(t, env, h, logr.Discard())
}

func startManagerWithLogger(t *testing.T, env *testenv.Env, h hooks, log logr.Logger) (stop func()) {
	t.Helper()
	withHooks := func(mgr ctrl.Manager, o options.Options) error { return setup(mgr, o, h) }
	return env.StartManager(t, testenv.ManagerConfig{
		Setups: []testenv.Setup{config.Setup, virtualmachine.Setup, withHooks},
		Log:    log,
	})
}

// fixture is a namespace with a local ProviderConfig and a Ready machine.
type fixture struct {
	env  *testenv.Env
	ns   string
	base string
	vm   *computev1alpha1.VirtualMachine
}

func newFixture(t *testing.T, env *testenv.Env, ns string) *fixture {
	t.Helper()
	ctx := context.Background()
	c := env.Client
	base := machinesBase(t, env, ns)
	start, end := portWindow(t)
	if err := c.Create(ctx, &apisv1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: ns},
		Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal,
			Local: &apisv1alpha1.LocalBackendConfig{BaseDir: base, PortRangeStart: start, PortRangeEnd: end}},
	}); err != nil {
		t.Fatal(err)
	}
	vm := &computev1alpha1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "vm"},
		Spec: computev1alpha1.VirtualMachineSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: pcRef(ns)},
			ForProvider:         computev1alpha1.VirtualMachineParameters{CPU: 1, MemoryMiB: 512},
		},
	}
	if err := c.Create(ctx, vm); err != nil {
		t.Fatal(err)
	}
	return &fixture{env: env, ns: ns, base: base, vm: vm}
}

// machinesBase creates namespace ns and returns a directory for the local
// backend's machines, below which no postmaster outlives the test: every
// one that a pid file there names is stopped, by PID.
func machinesBase(t *testing.T, env *testenv.Env, ns string) string {
	t.Helper()
	base := testenv.SharedDir(t)
	t.Cleanup(func() {
		if err := local.StopAll(context.Background(), base); err != nil {
			t.Errorf("cannot stop leftover engines: %v", err)
		}
	})
	if err := env.Client.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	return base
}

// portWindow returns a block of ports for one test's machines, drawn at
// random below Linux's ephemeral range. The local backend keeps the blocks
// of the machines below one base directory apart, but each test has its
// own base directory, and on a shared machine other runs of these same
// tests (from other checkouts) run at once: with one fixed range they
// handed out the same ports, and a server found its port taken by
// another's ("cannot start the member"). The backend also skips ports
// that are in use when it allocates. The tests of this package run in
// parallel, so a block that another running test of this process holds is
// not drawn again until that test ends.
func portWindow(t *testing.T) (start, end int32) {
	t.Helper()
	const (
		lowest = 20000
		size   = 200
		count  = 60 // Up to 31999, below the ephemeral range (32768).
	)
	windows.mu.Lock()
	defer windows.mu.Unlock()
	for {
		start = lowest + size*rand.Int32N(count) //nolint:gosec // Not a secret.
		if !windows.held[start] {
			break
		}
	}
	windows.held[start] = true
	t.Cleanup(func() {
		windows.mu.Lock()
		defer windows.mu.Unlock()
		delete(windows.held, start)
	})
	return start, start + size - 1
}

// windows are the port blocks that running tests of this process hold.
var windows = struct {
	mu   sync.Mutex
	held map[int32]bool
}{held: map[int32]bool{}}

func pcRef(name string) *xpv2.ProviderConfigReference {
	return &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ClusterProviderConfigKind, Name: name}
}

func (f *fixture) instance(name string, maxConns int32) *v1alpha1.DatabaseInstance {
	return &v1alpha1.DatabaseInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: name},
		Spec: v1alpha1.DatabaseInstanceSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{
				ProviderConfigReference:          pcRef(f.ns),
				WriteConnectionSecretToReference: &xpv2.LocalSecretReference{Name: name + "-conn"},
			},
			ForProvider: v1alpha1.DatabaseInstanceParameters{
				Engine:                 v1alpha1.EnginePostgreSQL,
				Version:                "15",
				VirtualMachineRefs:     []xpv2.NamespacedReference{{Name: f.vm.Name}},
				StorageGB:              1,
				MaxConnections:         &maxConns,
				AdminUser:              "admin",
				AdminPasswordSecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: name + "-admin"}, Key: "password"},
				AutoGeneratePassword:   true,
				Parameters:             map[string]string{"application_name": "dbaas 'test'"},
			},
		},
	}
}

func (f *fixture) waitReady(t *testing.T, di *v1alpha1.DatabaseInstance) {
	t.Helper()
	c := f.env.Client
	wait.For(t, timeout, "DatabaseInstance "+di.Name+" Ready", func() (bool, string) {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		return di.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue,
			string(di.GetCondition(xpv2.TypeReady).Reason) + " " + di.GetCondition(xpv2.TypeSynced).Message
	})
}

func (f *fixture) machineDir(t *testing.T) string {
	t.Helper()
	vm := &computev1alpha1.VirtualMachine{}
	if err := f.env.Client.Get(context.Background(), client.ObjectKeyFromObject(f.vm), vm); err != nil {
		t.Fatal(err)
	}
	return vm.Status.AtProvider.WorkDir
}

// connect opens a connection with the credentials of the connection secret.
func (f *fixture) connect(t *testing.T, di *v1alpha1.DatabaseInstance) *pgx.Conn {
	t.Helper()
	wait.For(t, timeout, "connection secret", func() (bool, string) {
		s := &corev1.Secret{}
		err := f.env.Client.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: di.Name + "-conn"}, s)
		return err == nil && len(s.Data["password"]) > 0, "no secret yet"
	})
	conn, err := f.tryConnect(di)
	if err != nil {
		t.Fatalf("cannot connect with the connection secret's credentials: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func (f *fixture) tryConnect(di *v1alpha1.DatabaseInstance) (*pgx.Conn, error) {
	ctx := context.Background()
	s := &corev1.Secret{}
	if err := f.env.Client.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: di.Name + "-conn"}, s); err != nil {
		return nil, err
	}
	return connectSecret(ctx, s)
}

// connectSecret connects as an application would with a connection secret:
// its credentials, verified against its CA, never a plain fallback.
func connectSecret(ctx context.Context, s *corev1.Secret) (*pgx.Conn, error) {
	port, err := strconv.Atoi(string(s.Data["port"]))
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		return nil, err
	}
	cfg.Host, cfg.Port, cfg.Database = string(s.Data["endpoint"]), uint16(port), "postgres"
	cfg.User, cfg.Password = string(s.Data["username"]), string(s.Data["password"])
	cfg.ConnectTimeout = 5 * time.Second
	cfg.Fallbacks = nil
	if cfg.TLSConfig, err = secretTLS(s, cfg.Host); err != nil {
		return nil, err
	}
	return pgx.ConnectConfig(ctx, cfg)
}

func TestDatabaseInstanceLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := testenv.Shared(t)
	c := env.Client
	f := newFixture(t, env, "di-life")
	logs := &syncBuffer{}
	metricsAddr := startManagerWithMetrics(t, env, funcr.New(func(prefix, args string) {
		logs.WriteString(prefix + " " + args + "\n")
	}, funcr.Options{Verbosity: 1}))

	di := f.instance("pg", 20)
	if err := c.Create(ctx, di); err != nil {
		t.Fatal(err)
	}
	f.waitReady(t, di)

	wantDir := filepath.Join(f.machineDir(t), "postgresql", "pg")
	ap := di.Status.AtProvider
	if ap.Endpoint != "127.0.0.1" || ap.Port < 20000 || !strings.HasPrefix(ap.EngineVersion, "15.") || len(ap.Members) != 1 ||
		ap.Members[0] != (v1alpha1.Member{VirtualMachine: "vm", Role: v1alpha1.RolePrimary, Address: "127.0.0.1", Port: ap.Port, Running: true}) {
		t.Errorf("status.atProvider: unexpected %+v", ap)
	}

	// The generated admin password is owned by the instance.
	adm := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: f.ns, Name: "pg-admin"}, adm); err != nil {
		t.Fatal(err)
	}
	password := string(adm.Data["password"])
	if password == "" || len(adm.GetOwnerReferences()) != 1 || adm.GetOwnerReferences()[0].UID != di.GetUID() {
		t.Errorf("admin password Secret: want a password and an owner reference to the instance, got owners %+v", adm.GetOwnerReferences())
	}

	conn := f.connect(t, di)
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("SELECT 1: got %d, %v", one, err)
	}
	var app string
	if err := conn.QueryRow(ctx, "SHOW application_name").Scan(&app); err != nil || app != "dbaas 'test'" {
		t.Errorf("application_name from parameters: got %q, %v", app, err)
	}
	_ = conn.Close(ctx)

	// A changed maxConnections needs a restart, which the controller does.
	patch(t, c, di, func(di *v1alpha1.DatabaseInstance) { di.Spec.ForProvider.MaxConnections = ptr(30) })
	// The server restarts meanwhile: a refused connection is a reason to
	// look again, not a failure.
	wait.For(t, timeout, "max_connections follows the spec", func() (bool, string) {
		conn, err := f.tryConnect(di)
		if err != nil {
			return false, err.Error()
		}
		defer conn.Close(ctx)
		var v string
		if err := conn.QueryRow(ctx, "SHOW max_connections").Scan(&v); err != nil {
			return false, err.Error()
		}
		return v == "30", "max_connections = " + v
	})

	// Powering the machine off stops the server; powering it on again has
	// the instance start it.
	pid := pgtest.OneServer(t, filepath.Join(wantDir, "data"))
	setPower(t, c, f.vm, computev1alpha1.PowerOff)
	wait.For(t, timeout, "postmaster stopped by power off", func() (bool, string) {
		return !local.Alive(pid), "still running"
	})
	setPower(t, c, f.vm, computev1alpha1.PowerOn)
	wait.For(t, timeout, "server answers after power on", func() (bool, string) {
		conn, err := f.tryConnect(di)
		if err != nil {
			return false, err.Error()
		}
		defer conn.Close(ctx)
		var one int
		if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
			return false, err.Error()
		}
		return len(pgtest.Servers(t, filepath.Join(wantDir, "data"))) == 1, "not exactly one postmaster"
	})
	f.waitReady(t, di)

	// A real Prometheus scrapes the provider and the exporter the provider
	// runs beside the member, at the endpoint the status names.
	exporters := checkScrape(t, c, di, wantDir, metricsAddr)

	// The admin password is nowhere in events, status or the provider's log.
	assertNoPassword(t, c, f.ns, password)
	if l := logs.String(); l == "" || strings.Contains(l, password) {
		t.Errorf("want a non-empty provider log without the admin password (log has %d bytes)", len(l))
	}

	server := pgtest.OneServer(t, filepath.Join(wantDir, "data"))
	if err := c.Delete(ctx, di); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "DatabaseInstance gone", func() (bool, string) {
		err := c.Get(ctx, client.ObjectKeyFromObject(di), &v1alpha1.DatabaseInstance{})
		return kerrors.IsNotFound(err), "still there"
	})
	if local.Alive(server) {
		t.Errorf("postmaster %d still alive after the instance was deleted", server)
	}
	for _, pid := range exporters {
		if local.Alive(pid) {
			t.Errorf("exporter %d still alive after the instance was deleted", pid)
		}
	}
	if _, err := os.Stat(wantDir); !os.IsNotExist(err) {
		t.Errorf("instance dir %s: want removed, stat says %v", wantDir, err)
	}

	machineDir := f.machineDir(t)
	if err := c.Delete(ctx, f.vm); err != nil {
		t.Fatal(err)
	}
	wait.For(t, timeout, "machine dir removed", func() (bool, string) {
		_, err := os.Stat(machineDir)
		return os.IsNotExist(err), "still there"
	})
}

func ptr(i int32) *int32 { return &i }

func setPower(t *testing.T, c client.Client, vm *computev1alpha1.VirtualMachine, p computev1alpha1.PowerState) {
	t.Helper()
	got := &computev1alpha1.VirtualMachine{}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(vm), got); err != nil {
		t.Fatal(err)
	}
	patch(t, c, got, func(vm *computev1alpha1.VirtualMachine) { vm.Spec.ForProvider.PowerState = p })
}

// patch changes obj with mutate and sends only what changed, as a merge
// patch, rather than an update of the whole object: the provider writes
// objects' annotations and finalizers while it reconciles them, and an
// update carrying the resourceVersion the test read then fails with a
// conflict, the more often the busier the machine.
func patch[T client.Object](t *testing.T, c client.Client, obj T, mutate func(T)) {
	t.Helper()
	base, ok := obj.DeepCopyObject().(client.Object)
	if !ok {
		t.Fatalf("cannot copy %T", obj)
	}
	mutate(obj)
	if err := c.Patch(context.Background(), obj, client.MergeFrom(base)); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer collects the provider's log lines from its goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) WriteString(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(v)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// assertNoPassword checks the namespace's events and the provider's objects
// for the password.
func assertNoPassword(t *testing.T, c client.Client, ns, password string) {
	t.Helper()
	ctx := context.Background()
	events := &corev1.EventList{}
	if err := c.List(ctx, events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(events.Items) == 0 {
		t.Errorf("want events recorded in %s to check", ns)
	}
	instances := &v1alpha1.DatabaseInstanceList{}
	if err := c.List(ctx, instances, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	vms := &computev1alpha1.VirtualMachineList{}
	if err := c.List(ctx, vms, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for what, obj := range map[string]any{"events": events, "DatabaseInstances": instances, "VirtualMachines": vms} {
		b, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), password) {
			t.Errorf("the admin password appears in %s", what)
		}
	}
}

// TestCreateResumesAfterRestart stops the provider after initdb and before
// the server is configured and started, then starts a new one: it must end
// with one data directory, one postmaster and a Ready instance.
func TestCreateResumesAfterRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := testenv.Shared(t)
	c := env.Client
	f := newFixture(t, env, "di-restart")

	initDone := make(chan struct{})
	var once sync.Once
	stop := startManager(t, env, hooks{afterInit: func(context.Context) error {
		once.Do(func() { close(initDone) })
		return errors.New("provider stopped between initdb and start")
	}})

	di := f.instance("pg", 25)
	di.Spec.ForProvider.AutoGeneratePassword = false
	if err := c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: f.ns, Name: "pg-admin"},
		StringData: map[string]string{"password": "Restart-Pw-1"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, di); err != nil {
		t.Fatal(err)
	}
	select {
	case <-initDone:
	case <-time.After(timeout):
		t.Fatal("initdb never completed")
	}
	stop()

	dir := filepath.Join(f.machineDir(t), "postgresql", "pg")
	if _, err := os.Stat(filepath.Join(dir, "initialized")); err != nil {
		t.Fatalf("want an initialized data dir after the first provider: %v", err)
	}
	if pids := pgtest.Servers(t, filepath.Join(dir, "data")); len(pids) != 0 {
		t.Fatalf("want no postmaster before the restart, got %v", pids)
	}

	startManager(t, env, hooks{})
	f.waitReady(t, di)

	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "pg" {
		t.Errorf("want exactly one instance dir, got %v", entries)
	}
	pgtest.OneServer(t, filepath.Join(dir, "data"))
	conn := f.connect(t, di)
	var v string
	if err := conn.QueryRow(ctx, "SHOW max_connections").Scan(&v); err != nil || v != "25" {
		t.Errorf("max_connections: want 25, got %q, %v", v, err)
	}
	assertNoPassword(t, c, f.ns, "Restart-Pw-1")
}
