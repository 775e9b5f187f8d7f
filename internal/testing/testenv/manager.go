package testenv

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	xpcontroller "github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"

	"github.com/dbaas-io/dbaas/internal/clients/backend"
	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/metrics"
)

// A Setup adds controllers to a manager, as the controllers' Setup do.
type Setup func(ctrl.Manager, options.Options) error

// ManagerConfig says what a test's manager runs and where it logs.
type ManagerConfig struct {
	// Setups add the controllers under test.
	Setups []Setup

	// Log receives the manager's and the controllers' logs. The zero
	// value discards them.
	Log logr.Logger

	// LocalDir is the local backend's default directory.
	LocalDir string

	// Machines reach machine backends beyond what provider configs say
	// (the Azure SDK's fakes, a crash injected after a create).
	Machines backend.Options

	// Concurrency is how many reconciles of a kind run at once; 2 by
	// default.
	Concurrency int

	// MaxReconcileRate is the provider's --max-reconcile-rate: reconciles
	// per second across the provider; 100 by default.
	MaxReconcileRate int

	// GiveUpDeleteAfter bounds how long a delete retries what it cannot
	// reach; the provider's default when zero.
	GiveUpDeleteAfter time.Duration

	// PollInterval is how often a resource at rest is checked for drift;
	// one second by default, so tests see drift corrected quickly.
	PollInterval time.Duration

	// ServerLimiters are the per-server limits the SQL controllers share,
	// for a test that looks at them; new ones when nil.
	ServerLimiters *server.Limiters

	// ServerPools are the sessions the SQL controllers share, for a test
	// that looks at them; new ones, closed when the manager stops, when
	// nil.
	ServerPools *server.Pools

	// MetricsAddress, when set, is where the manager serves /metrics as
	// the provider does: controller-runtime's, crossplane-runtime's and
	// the dbaas_* metrics, with the instances' gauges of this manager's
	// cache. Empty serves none.
	MetricsAddress string
}

// LoopbackEndpoints are what namespaced ProviderConfigs of a test may point
// at unless its ManagerConfig says otherwise.
var LoopbackEndpoints = []string{"127.0.0.0/8", "::1", "localhost"}

// StartManager runs controllers against the Env's API server, polling every
// second so tests see changes quickly, until the returned stop is called or
// the test ends. Calling stop and starting another manager is what a
// provider restart looks like.
func (e *Env) StartManager(t testing.TB, c ManagerConfig) (stop func()) {
	t.Helper()
	// A restarted manager registers the same controller names again.
	skip := true
	mo := ctrl.Options{
		Scheme:                 e.Scheme,
		Logger:                 c.Log,
		Metrics:                metricsserver.Options{BindAddress: metricsAddress(c.MetricsAddress)},
		HealthProbeBindAddress: "0",
		Controller:             ctrlconfig.Controller{SkipNameValidation: &skip},
	}
	if e.iso != nil {
		var err error
		if mo.Cache, err = e.iso.cache(); err != nil {
			t.Fatal(err)
		}
	}
	mgr, err := ctrl.NewManager(e.Config, mo)
	if err != nil {
		t.Fatal(err)
	}
	concurrency := c.Concurrency
	if concurrency == 0 {
		concurrency = 2
	}
	poll := c.PollInterval
	if poll == 0 {
		poll = time.Second
	}
	rate := c.MaxReconcileRate
	if rate == 0 {
		rate = 100
	}
	machines := c.Machines
	if machines.Policy.Endpoints == nil {
		// Every server and fake backend of a test listens on loopback.
		machines.Policy.Endpoints = LoopbackEndpoints
	}
	o := options.Options{
		Options: xpcontroller.Options{
			Logger:                  logging.NewLogrLogger(c.Log),
			GlobalRateLimiter:       ratelimiter.NewGlobal(rate),
			PollInterval:            poll,
			MaxConcurrentReconciles: concurrency,
			Features:                &feature.Flags{},
		},
		LocalDir:       c.LocalDir,
		ServerLimiters: c.ServerLimiters,
		ServerPools:    c.ServerPools,
		Machines:       machines,

		GiveUpDeleteAfter: c.GiveUpDeleteAfter,
	}
	if o.ServerLimiters == nil {
		o.ServerLimiters = server.NewLimiters()
	}
	if o.ServerPools == nil {
		o.ServerPools = server.NewPools()
	}
	// The manager closes the pools' sessions when it stops, given ones too:
	// a manager's pools are its own.
	if err := mgr.Add(o.ServerPools); err != nil {
		t.Fatal(err)
	}
	if c.MetricsAddress != "" {
		o.MetricOptions = metrics.Crossplane()
		t.Cleanup(metrics.WatchInstances(mgr.GetClient()))
	}
	for _, setup := range c.Setups {
		if err := setup(mgr, o); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("manager: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// metricsAddress is the manager's metrics bind address: "0", none, unless
// the test asks for one.
func metricsAddress(a string) string {
	if a == "" {
		return "0"
	}
	return a
}
