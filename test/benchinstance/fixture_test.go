package benchinstance

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/databaseinstance"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

const (
	// The local backend hands machines ports from this range only (ten
	// blocks of ten ports), away from the tests' 25000-25899.
	portRangeStart = 25900
	portRangeEnd   = 25999

	// pollEvery is how often the benchmark looks at the API server (and,
	// where it measures writes, tries one).
	pollEvery = 50 * time.Millisecond

	// waitAtMost bounds every wait; a wait that runs out fails the run.
	waitAtMost = 5 * time.Minute
)

var (
	// The provider's defaults are --poll 1m and --max-reconcile-rate 10
	// (reconciles a second across the provider, and concurrent reconciles
	// per kind). -benchinstance.poll=1s measures the controller as the
	// integration tests run it.
	poll    = flag.Duration("benchinstance.poll", time.Minute, "the provider's --poll")
	maxRate = flag.Int("benchinstance.max-reconcile-rate", 10, "the provider's --max-reconcile-rate")

	// verbose sends the controllers' log to stderr.
	verbose = flag.Bool("benchinstance.verbose", false, "log the controllers to stderr")
)

// rig is one API server, one manager and a ClusterProviderConfig for the
// local backend in a temporary directory.
type rig struct {
	env  *testenv.Env
	c    client.Client
	base string
	pc   string
	// ssh is set when pc configures machines over SSH, whose admin
	// account is postgres.
	ssh bool
	// hosts is set when pc's machines are test hosts with addresses of
	// their own.
	hosts bool
}

// startRig starts the API server and the manager for one benchmark.
func startRig(b *testing.B, name string) *rig {
	b.Helper()
	env := testenv.Start(b)
	base := testenv.SharedDir(b)
	// Whatever happens, no postmaster outlives the benchmark: stop every
	// one that a pid file below the base directory names, by PID.
	b.Cleanup(func() {
		if err := local.StopAll(context.Background(), base); err != nil {
			b.Errorf("cannot stop leftover engines: %v", err)
		}
	})
	log := logr.Discard()
	if *verbose {
		log = funcr.New(func(prefix, args string) { fmt.Fprintln(os.Stderr, prefix, args) }, funcr.Options{Verbosity: 1, LogTimestamp: true})
	}
	env.StartManager(b, testenv.ManagerConfig{
		Setups:           []testenv.Setup{config.Setup, virtualmachine.Setup, databaseinstance.Setup},
		Log:              log,
		Concurrency:      *maxRate,
		MaxReconcileRate: *maxRate,
		PollInterval:     *poll,
	})
	if err := env.Client.Create(context.Background(), &apisv1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal,
			Local: &apisv1alpha1.LocalBackendConfig{BaseDir: base, PortRangeStart: portRangeStart, PortRangeEnd: portRangeEnd}},
	}); err != nil {
		b.Fatal(err)
	}
	return &rig{env: env, c: env.Client, base: base, pc: name}
}

// overSSH returns the rig with a provider config of its own whose local
// machines the provider configures over SSH, as it does VMs: a real SSH
// server on loopback that runs the commands on this host.
func (r *rig) overSSH(b *testing.B) *rig {
	b.Helper()
	ctx := context.Background()
	srv := sshtest.Start(b)
	ns, name := "ssh-keys", r.pc+"-ssh"
	r.namespace(b, ns)
	if err := r.c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "key"}, Data: map[string][]byte{"id": srv.ClientKeyPEM()}}); err != nil {
		b.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(srv.Addr())
	p, _ := strconv.Atoi(port)
	no := false
	if err := r.c.Create(ctx, &apisv1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal,
			Local: &apisv1alpha1.LocalBackendConfig{BaseDir: r.base, PortRangeStart: portRangeStart, PortRangeEnd: portRangeEnd},
			SSH: &apisv1alpha1.SSHConfig{User: srv.User(), Port: int32(p), Sudo: &no,
				PrivateKeySecretRef: xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: ns, Name: "key"}, Key: "id"}}},
	}); err != nil {
		b.Fatal(err)
	}
	c := *r
	c.pc, c.ssh = name, true
	return &c
}

func (r *rig) namespace(b *testing.B, ns string) {
	b.Helper()
	if err := r.c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		b.Fatal(err)
	}
}

func (r *rig) pcRef() *xpv2.ProviderConfigReference {
	return &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ClusterProviderConfigKind, Name: r.pc}
}

// createVMs creates the machines and waits until all are Ready.
func (r *rig) createVMs(b *testing.B, ns string, names []string) {
	b.Helper()
	ctx := context.Background()
	for _, n := range names {
		vm := &computev1alpha1.VirtualMachine{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: n},
			Spec: computev1alpha1.VirtualMachineSpec{
				ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: r.pcRef()},
				ForProvider:         computev1alpha1.VirtualMachineParameters{CPU: 1, MemoryMiB: 512},
			},
		}
		if err := r.c.Create(ctx, vm); err != nil {
			b.Fatal(err)
		}
	}
	for _, n := range names {
		vm := &computev1alpha1.VirtualMachine{}
		r.wait(b, "VirtualMachine "+n+" Ready", func() (bool, string) {
			if err := r.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: n}, vm); err != nil {
				return false, err.Error()
			}
			return vm.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue, vm.GetCondition(xpv2.TypeSynced).Message
		})
	}
}

// instance is a PostgreSQL 15 DatabaseInstance on the machines: single on
// one, primary with len(vms)-1 replicas on more.
func (r *rig) instance(ns, name string, vms []string, mode v1alpha1.ReplicationMode) *v1alpha1.DatabaseInstance {
	maxConns := int32(20)
	di := &v1alpha1.DatabaseInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.DatabaseInstanceSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{
				ProviderConfigReference:          r.pcRef(),
				WriteConnectionSecretToReference: &xpv2.LocalSecretReference{Name: name + "-conn"},
			},
			ForProvider: v1alpha1.DatabaseInstanceParameters{
				Engine:                 v1alpha1.EnginePostgreSQL,
				Version:                "15",
				StorageGB:              1,
				MaxConnections:         &maxConns,
				AdminUser:              "admin",
				AdminPasswordSecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: name + "-admin"}, Key: "password"},
				AutoGeneratePassword:   true,
			},
		},
	}
	p := &di.Spec.ForProvider
	if r.ssh {
		p.AdminUser = ""
	}
	for _, vm := range vms {
		p.VirtualMachineRefs = append(p.VirtualMachineRefs, xpv2.NamespacedReference{Name: vm})
	}
	if len(vms) > 1 {
		replicas := int32(len(vms) - 1)
		p.Topology, p.Replicas = v1alpha1.TopologyPrimary, &replicas
		if mode != "" {
			p.Replication = &v1alpha1.ReplicationParameters{Mode: mode}
		}
	}
	return di
}

// isReady reads the instance and says whether it is Ready.
func (r *rig) isReady(di *v1alpha1.DatabaseInstance) (bool, string) {
	if err := r.c.Get(context.Background(), client.ObjectKeyFromObject(di), di); err != nil {
		return false, err.Error()
	}
	ready := di.GetCondition(xpv2.TypeReady)
	return ready.Status == corev1.ConditionTrue, string(ready.Reason) + " " + ready.Message + " " + di.GetCondition(xpv2.TypeSynced).Message
}

// deleteAll deletes the instance, waits until it is gone, then deletes the
// machines and waits until they are gone.
func (r *rig) deleteAll(b *testing.B, di *v1alpha1.DatabaseInstance, vms []string) {
	b.Helper()
	ctx := context.Background()
	if err := r.c.Delete(ctx, di); err != nil {
		b.Fatal(err)
	}
	r.wait(b, "DatabaseInstance "+di.Name+" gone", func() (bool, string) {
		err := r.c.Get(ctx, client.ObjectKeyFromObject(di), &v1alpha1.DatabaseInstance{})
		return kerrors.IsNotFound(err), fmt.Sprint(err)
	})
	for _, n := range vms {
		if err := r.c.Delete(ctx, &computev1alpha1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Namespace: di.Namespace, Name: n}}); err != nil {
			b.Fatal(err)
		}
	}
	for _, n := range vms {
		r.wait(b, "VirtualMachine "+n+" gone", func() (bool, string) {
			err := r.c.Get(ctx, client.ObjectKey{Namespace: di.Namespace, Name: n}, &computev1alpha1.VirtualMachine{})
			return kerrors.IsNotFound(err), fmt.Sprint(err)
		})
	}
}

// wait polls cond every pollEvery until it holds, and fails the benchmark
// when it does not within waitAtMost.
func (r *rig) wait(b *testing.B, what string, cond func() (bool, string)) time.Duration {
	b.Helper()
	start := time.Now()
	var last string
	for time.Since(start) < waitAtMost {
		ok, msg := cond()
		if ok {
			return time.Since(start)
		}
		last = msg
		time.Sleep(pollEvery)
	}
	b.Fatalf("%s: not reached within %s; last: %s", what, waitAtMost, last)
	return 0
}

// credentials are the connection secret's.
type credentials struct {
	endpoint string
	port     int
	username string
	password string
	// ca and sslmode say how to verify the server, as for applications.
	ca      []byte
	sslmode string
}

// hostPort is where the secret says the primary is.
func (c credentials) hostPort() string { return net.JoinHostPort(c.endpoint, strconv.Itoa(c.port)) }

// connectionSecret reads the instance's connection secret: the controller
// writes username, password, endpoint, port and readOnlyEndpoints.
func (r *rig) connectionSecret(di *v1alpha1.DatabaseInstance) (credentials, error) {
	s := &corev1.Secret{}
	if err := r.c.Get(context.Background(), client.ObjectKey{Namespace: di.Namespace, Name: di.Spec.WriteConnectionSecretToReference.Name}, s); err != nil {
		return credentials{}, err
	}
	port, err := strconv.Atoi(string(s.Data[databaseinstance.ConnectionPort]))
	if err != nil {
		return credentials{}, fmt.Errorf("connection secret port %q: %w", s.Data[databaseinstance.ConnectionPort], err)
	}
	return credentials{
		endpoint: string(s.Data[databaseinstance.ConnectionEndpoint]),
		port:     port,
		username: string(s.Data[databaseinstance.ConnectionUsername]),
		password: string(s.Data[databaseinstance.ConnectionPassword]),
		ca:       s.Data["ca.crt"],
		sslmode:  string(s.Data["sslmode"]),
	}, nil
}

// connect opens a connection to host:port with the secret's credentials.
func connect(ctx context.Context, cr credentials, host string, port int) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		return nil, err
	}
	cfg.Host, cfg.Port, cfg.Database = host, uint16(port), "postgres"
	cfg.User, cfg.Password = cr.username, cr.password
	cfg.ConnectTimeout = 2 * time.Second
	// Verified as the connection secret says, with no plain fallback.
	cfg.Fallbacks = nil
	if cfg.TLSConfig, err = (dbms.TLS{Mode: cr.sslmode, CA: cr.ca}).ClientConfig(host); err != nil {
		return nil, err
	}
	return pgx.ConnectConfig(ctx, cfg)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	var sum float64
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}

// report adds the mean of the iterations' values as unit (a per-op figure,
// as benchstat expects) and their median and max as unit-median and
// unit-max.
func report(b *testing.B, v []float64, unit string) {
	b.ReportMetric(mean(v), unit)
	b.ReportMetric(median(v), unit+"-median")
	b.ReportMetric(slices.Max(v), unit+"-max")
}

func seconds(d time.Duration) float64 { return d.Seconds() }
