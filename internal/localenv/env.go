// Package localenv runs the whole product on this machine: a real
// Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager),
// Crossplane core, the provider and the composition function, each as a
// local process, with the project's Crossplane packages installed by core's
// package manager from a registry the environment serves on loopback.
package localenv

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/pgserver"
	"github.com/dbaas-io/dbaas/internal/ports"
)

// Config says where the environment finds its binaries and keeps its state.
type Config struct {
	// Root is the repository root: the catalog of apis/platform, the
	// manifests of examples/install and the ClusterProviderConfig under
	// examples/ are read from it.
	Root string

	// PackageDir holds the packages `make package` builds (PACKAGE_DIR).
	PackageDir string

	// BinDir holds etcd, kube-apiserver, kube-controller-manager,
	// crossplane, provider and function-dbaas.
	BinDir string

	// CrossplaneCRDs is the directory of Crossplane core's CRDs.
	CrossplaneCRDs string

	// StateDir receives logs, certificates, the kubeconfig, the local
	// backend's machines and the posix backup stores. It is created when
	// missing.
	StateDir string

	// Progress receives one line per stage. Nil means no output.
	Progress io.Writer
}

// Env is a running local environment.
type Env struct {
	cfg        Config
	api        *envtest.Environment
	RestConfig *rest.Config
	Client     client.Client
	// Kubeconfig is the path of an admin kubeconfig for the API server.
	Kubeconfig string
	// MachinesDir is where the provider's local backend keeps machines.
	MachinesDir string
	// BackupRoot is the provider's --backup-root: posix BackupStores and
	// ClusterBackupStores are directories below it.
	BackupRoot string

	// RegistryHost is host:port of the package registry the environment
	// serves.
	RegistryHost string

	// MetricsAddress is host:port where the provider serves its
	// Prometheus metrics (/metrics), on a free loopback port so that
	// environments side by side do not meet on the provider's :8080.
	MetricsAddress string

	procs        map[string]*process
	functionPort int
	registry     *http.Server
	// shared is the shared server: a PostgreSQL the environment runs
	// itself as the DBAs' existing server (shared.go).
	shared *pgserver.Server
}

// crossplaneNamespace is where core runs and keeps its packages' Secrets.
const crossplaneNamespace = "crossplane-system"

// Names of the environment's component processes.
const (
	ControllerManager = "kube-controller-manager"
	Crossplane        = "crossplane"
	Provider          = "provider"
	Function          = "function-dbaas"
)

func (e *Env) progress(format string, a ...any) {
	if e.cfg.Progress != nil {
		_, _ = fmt.Fprintf(e.cfg.Progress, "==> "+format+"\n", a...)
	}
}

// Up starts every component and installs the platform. On error, whatever
// was started is stopped again.
func Up(ctx context.Context, cfg Config) (*Env, error) {
	e := &Env{cfg: cfg, procs: map[string]*process{}}
	if err := e.up(ctx); err != nil {
		e.Down()
		return nil, err
	}
	return e, nil
}

func (e *Env) up(ctx context.Context) error {
	if err := e.checkBinaries(); err != nil {
		return err
	}
	for _, d := range []string{e.cfg.StateDir, e.logDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return errors.Wrap(err, "cannot create the state directory")
		}
	}
	// The local backend's machines hold PostgreSQL data directories that
	// the unprivileged postgres user must reach.
	e.MachinesDir = filepath.Join(e.cfg.StateDir, "machines")
	// Posix stores go with the rest of the environment's state, not into
	// the host's /var/lib/dbaas/backups: the machines are directories of
	// this host, and so is where they back up to.
	e.BackupRoot = filepath.Join(e.cfg.StateDir, "backups")
	if err := os.MkdirAll(e.MachinesDir, 0o755); err != nil {
		return errors.Wrap(err, "cannot create the machines directory")
	}
	if err := os.Chmod(e.cfg.StateDir, 0o755); err != nil {
		return errors.Wrap(err, "cannot open the state directory to the postgres user")
	}
	if err := writeCertificates(e.certsDir()); err != nil {
		return err
	}

	start := time.Now()
	if err := e.startAPIServer(); err != nil {
		return err
	}
	e.progress("API server ready at %s (%s)", e.RestConfig.Host, since(start))

	steps := []struct {
		what string
		fn   func(context.Context) error
	}{
		{"garbage collector (kube-controller-manager) started", e.startControllerManager},
		{"package registry serving on loopback, packages pushed", e.startRegistry},
		{"Crossplane core started", e.startCrossplane},
		{"composition function serving", e.startFunction},
		{"provider and function installed by Crossplane's package manager, provider started", e.installRuntimePackages},
		{"catalog, platform Configurations (installed by the package manager) and ClusterProviderConfig in place", e.installPlatform},
		{"shared server started and registered as ClusterProviderConfig " + SharedConfig, e.startSharedServer},
	}
	for _, s := range steps {
		t := time.Now()
		if err := s.fn(ctx); err != nil {
			return err
		}
		e.progress("%s (%s)", s.what, since(t))
	}
	return nil
}

func since(t time.Time) string { return time.Since(t).Round(10 * time.Millisecond).String() }

func (e *Env) logDir() string   { return filepath.Join(e.cfg.StateDir, "logs") }
func (e *Env) certsDir() string { return filepath.Join(e.cfg.StateDir, "certs") }

// LogFile is the path of a component's log.
func (e *Env) LogFile(component string) string {
	return filepath.Join(e.logDir(), component+".log")
}

func (e *Env) checkBinaries() error {
	for _, b := range []string{"etcd", "kube-apiserver", ControllerManager, Crossplane, Provider, Function} {
		if _, err := os.Stat(filepath.Join(e.cfg.BinDir, b)); err != nil {
			return errors.Errorf("%s is missing from %s: run `make build` first", b, e.cfg.BinDir)
		}
	}
	// The package manager compares the provider package's Crossplane
	// version constraint with core's own version.
	if v, err := exec.Command(filepath.Join(e.cfg.BinDir, Crossplane), "--version").Output(); err != nil || !strings.HasPrefix(strings.TrimSpace(string(v)), "v") {
		return errors.Errorf("%s was built without its version (%q), which the package manager needs: remove it and run `make tools`", filepath.Join(e.cfg.BinDir, Crossplane), strings.TrimSpace(string(v)))
	}
	for _, p := range Packages {
		if _, err := os.Stat(filepath.Join(e.cfg.PackageDir, p.File)); err != nil {
			return errors.Errorf("the package %s is missing from %s: run `make package` first", p.File, e.cfg.PackageDir)
		}
	}
	if _, err := os.Stat(e.cfg.CrossplaneCRDs); err != nil {
		return errors.Errorf("Crossplane's CRDs are missing from %s: run `make tools` first", e.cfg.CrossplaneCRDs)
	}
	return nil
}

// startAPIServer runs etcd and kube-apiserver through envtest, which also
// makes their certificates, and writes an admin kubeconfig. Only core's
// CRDs are installed here: the provider's come with its package.
func (e *Env) startAPIServer() error {
	e.api = &envtest.Environment{
		BinaryAssetsDirectory: e.cfg.BinDir,
		CRDDirectoryPaths:     []string{e.cfg.CrossplaneCRDs},
		ErrorIfCRDPathMissing: true,
		// envtest's default of 20 s is not enough for kube-apiserver on a
		// loaded machine; the integration tests allow the same.
		ControlPlaneStartTimeout: 2 * time.Minute,
	}
	cfg, err := e.api.Start()
	if err != nil {
		return errors.Wrap(err, "cannot start etcd and kube-apiserver")
	}
	e.RestConfig = cfg

	admin, err := e.api.AddUser(envtest.User{Name: "dbaas-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return errors.Wrap(err, "cannot create the admin user")
	}
	kc, err := admin.KubeConfig()
	if err != nil {
		return errors.Wrap(err, "cannot render the admin kubeconfig")
	}
	e.Kubeconfig = filepath.Join(e.cfg.StateDir, "kubeconfig")
	if err := os.WriteFile(e.Kubeconfig, kc, 0o600); err != nil {
		return errors.Wrap(err, "cannot write the kubeconfig")
	}
	c, err := client.New(admin.Config(), client.Options{Scheme: Scheme()})
	if err != nil {
		return errors.Wrap(err, "cannot create a Kubernetes client")
	}
	e.Client = c
	e.RestConfig = admin.Config()
	return nil
}

// startControllerManager runs only the controllers the product relies on:
// the garbage collector deletes composed resources when their composite is
// deleted, the namespace controller empties deleted namespaces, and the
// resource quota controller counts what a namespace holds, so that a
// ResourceQuota capping a team's Databases (examples/quota) is enforced.
func (e *Env) startControllerManager(ctx context.Context) error {
	port, err := ports.Free()
	if err != nil {
		return err
	}
	p, err := startProcess(ControllerManager, e.LogFile(ControllerManager), filepath.Join(e.cfg.BinDir, ControllerManager), []string{
		"--kubeconfig=" + e.Kubeconfig,
		"--authentication-kubeconfig=" + e.Kubeconfig,
		"--authorization-kubeconfig=" + e.Kubeconfig,
		"--controllers=garbagecollector,namespace,resourcequota",
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + filepath.Join(e.cfg.StateDir, "kcm-certs"),
	}, nil)
	if err != nil {
		return err
	}
	e.procs[ControllerManager] = p
	return waitForPort(ctx, p, port)
}

// startCrossplane runs Crossplane core with the External package runtime:
// it runs no Deployments, so the provider and the function run as local
// processes that markRuntime reports to core. Core trusts the environment's
// CA for pulling packages, so that the local registry is a registry like
// any other to it.
func (e *Env) startCrossplane(ctx context.Context) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: crossplaneNamespace}}
	if err := e.Client.Create(ctx, ns); err != nil && !kerrors.IsAlreadyExists(err) {
		return errors.Wrap(err, "cannot create namespace crossplane-system")
	}
	health, err := ports.Free()
	if err != nil {
		return err
	}
	metrics, err := ports.Free()
	if err != nil {
		return err
	}
	webhook, err := ports.Free()
	if err != nil {
		return err
	}
	cache := filepath.Join(e.cfg.StateDir, "xpkg-cache")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return errors.Wrap(err, "cannot create Crossplane's package cache")
	}
	p, err := startProcess(Crossplane, e.LogFile(Crossplane), filepath.Join(e.cfg.BinDir, Crossplane), []string{
		"core", "start",
		"--package-runtime=External",
		"--xpkg-cache-dir=" + cache,
		"--ca-bundle-path=" + filepath.Join(e.certsDir(), certsRegistry, "ca.crt"),
		"--health-probe-port=" + strconv.Itoa(health),
		"--metrics-port=" + strconv.Itoa(metrics),
		"--webhook-port=" + strconv.Itoa(webhook),
		"--tls-client-certs-dir=" + filepath.Join(e.certsDir(), certsCoreClient),
		"--tls-server-certs-dir=" + filepath.Join(e.certsDir(), certsCoreServer),
		// Claims and composites are re-checked this often even without
		// a watch event.
		"--poll-interval=10s",
	}, []string{"KUBECONFIG=" + e.Kubeconfig, "POD_NAMESPACE=" + crossplaneNamespace})
	if err != nil {
		return err
	}
	e.procs[Crossplane] = p
	return waitForPort(ctx, p, health)
}

// startFunction serves the composition function over mTLS on a loopback
// port; installRuntimePackages tells core where.
func (e *Env) startFunction(ctx context.Context) error {
	port, err := ports.Free()
	if err != nil {
		return err
	}
	metricsPort, err := ports.Free()
	if err != nil {
		return err
	}
	p, err := startProcess(Function, e.LogFile(Function), filepath.Join(e.cfg.BinDir, Function), []string{
		"--address=127.0.0.1:" + strconv.Itoa(port),
		"--tls-certs-dir=" + filepath.Join(e.certsDir(), certsFunction),
		// Not the SDK's default :8080 on every interface, which a second
		// environment on the host (or anything else there) would hold.
		"--metrics-address=127.0.0.1:" + strconv.Itoa(metricsPort),
	}, nil)
	if err != nil {
		return err
	}
	e.procs[Function] = p
	e.functionPort = port
	return waitForPort(ctx, p, port)
}

// StartProvider starts the provider process. Tests call it again after
// KillProvider to show that the provider picks up where it stopped.
func (e *Env) StartProvider(ctx context.Context) error {
	health, err := ports.Free()
	if err != nil {
		return err
	}
	metricsPort, err := ports.Free()
	if err != nil {
		return err
	}
	e.MetricsAddress = "127.0.0.1:" + strconv.Itoa(metricsPort)
	p, err := startProcess(Provider, e.LogFile(Provider), filepath.Join(e.cfg.BinDir, Provider), []string{
		"--local-dir=" + e.MachinesDir,
		"--backup-root=" + e.BackupRoot,
		// The local environment's servers are all on loopback.
		"--namespaced-endpoints=127.0.0.0/8,::1,localhost",
		"--health-address=127.0.0.1:" + strconv.Itoa(health),
		"--metrics-address=" + e.MetricsAddress,
		"--poll=15s",
		"--debug",
	}, []string{"KUBECONFIG=" + e.Kubeconfig})
	if err != nil {
		return err
	}
	e.procs[Provider] = p
	return waitForPort(ctx, p, health)
}

// KillProvider ends the provider at once, as a crash or an OOM kill would.
func (e *Env) KillProvider() {
	if p, ok := e.procs[Provider]; ok {
		_ = p.cmd.Process.Kill()
		<-p.done
		delete(e.procs, Provider)
	}
}

// PID returns a running component's process ID, or 0.
func (e *Env) PID(component string) int {
	if p, ok := e.procs[component]; ok && !p.Exited() {
		return p.PID()
	}
	return 0
}

// Down stops every component in the reverse order of Up: the provider
// first, so that nothing it manages is half-handled by a dying API server.
func (e *Env) Down() {
	for _, name := range []string{Provider, Function, Crossplane, ControllerManager} {
		if p, ok := e.procs[name]; ok {
			p.stop(10 * time.Second)
			delete(e.procs, name)
		}
	}
	e.stopRegistry()
	// Engines on local machines run detached from the provider (they
	// outlive its restarts), so they are stopped here, by the PIDs in their
	// pid files, for nothing to be left running.
	if e.MachinesDir != "" {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := local.StopAll(ctx, e.MachinesDir); err != nil {
			e.progress("cannot stop the engines below %s: %v", e.MachinesDir, err)
		}
		cancel()
	}
	e.stopSharedServer()
	if e.api != nil {
		if err := e.api.Stop(); err != nil {
			e.progress("cannot stop the API server cleanly: %v", err)
		}
		e.api = nil
	}
}
