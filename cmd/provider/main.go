// Command provider runs the dbaas Crossplane provider: the controllers of
// every managed resource kind and of the provider configs.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	xpcontroller "github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/gate"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"

	"github.com/dbaas-io/dbaas/apis"
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/clients/providerconfig"
	"github.com/dbaas-io/dbaas/internal/controller"
	"github.com/dbaas-io/dbaas/internal/controller/deletion"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/metrics"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "provider:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		debug          = flag.Bool("debug", false, "Log at debug level, including controller-runtime's own logs.")
		leaderElection = flag.Bool("leader-election", false, "Use leader election, for running more than one replica.")
		syncInterval   = flag.Duration("sync", time.Hour, "How often all resources are re-read from the API server.")
		pollInterval   = flag.Duration("poll", time.Minute, "How often each resource is checked for drift from its desired state.")
		maxRate        = flag.Int("max-reconcile-rate", options.DefaultMaxReconcileRate, "Global maximum reconciles per second across every controller (and five API server requests per second for each); each server's own limit is its ClusterProviderConfig's maxOperationsPerSecond.")
		workers        = flag.Int("workers", 0, fmt.Sprintf("Concurrent reconciles per kind (default %d; when only --max-reconcile-rate is given, as many as it says, as before this flag).", options.DefaultWorkers))
		localDir       = flag.String("local-dir", "/var/lib/dbaas/machines", "Where the local backend keeps machines when a provider config names no directory.")
		healthAddr     = flag.String("health-address", ":8081", "Address of the /healthz and /readyz endpoints.")
		metricsAddr    = flag.String("metrics-address", ":8080", "Address of the Prometheus metrics endpoint (/metrics): controller-runtime's, crossplane-runtime's managed-resource metrics and the provider's dbaas_* metrics; 0 turns it off.")
		nsEndpoints    = flag.String("namespaced-endpoints", "", "Comma-separated hosts, *.domains, addresses and CIDRs that namespaced ProviderConfigs may point at (server.host, vsphere.url, gcp.endpoint, terraform.address); empty: none, only ClusterProviderConfigs name endpoints.")
		watchdogBin    = flag.String("watchdog-binary", besideSelf("dbaas-watchdog"), "The dbaas-watchdog binary copied to every member's machine of a replicated instance over SSH, where it fences a primary that is cut off; empty installs none.")
		backupRoot     = flag.String("backup-root", backupstore.DefaultBackupRoot, "The directory on the instances' machines below which posix BackupStores live, one directory per namespace.")
		verifyEvery    = flag.Duration("backup-verify-interval", options.DefaultBackupVerifyInterval, "How often each instance's stanza is read back with pgbackrest verify; a Backup whose files are invalid turns its Verified condition False.")
		verifyTimeout  = flag.Duration("backup-verify-timeout", options.DefaultBackupVerifyTimeout, "How long a pgbackrest verify may run before it is stopped; its Backups' Verified condition then says so, and the verify is tried again later.")
		giveUpDelete   = flag.Duration("give-up-delete-after", deletion.DefaultGiveUpAfter, "How long a delete retries a machine, instance or server it cannot reach before the resource is let go with a Warning event.")
	)
	flag.Parse()
	rateGiven := false
	flag.Visit(func(f *flag.Flag) { rateGiven = rateGiven || f.Name == "max-reconcile-rate" })

	zl := zap.New(zap.UseDevMode(*debug))
	log := logging.NewLogrLogger(zl.WithName("provider-dbaas"))
	if *debug {
		ctrl.SetLogger(zl)
	} else {
		// controller-runtime is verbose even at info level.
		ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	}

	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("cannot get the API server's rest config: %w", err)
	}
	mgr, err := ctrl.NewManager(ratelimiter.LimitRESTConfig(cfg, *maxRate), ctrl.Options{
		Cache:                      cache.Options{SyncPeriod: syncInterval},
		HealthProbeBindAddress:     *healthAddr,
		Metrics:                    metricsserver.Options{BindAddress: *metricsAddr},
		LeaderElection:             *leaderElection,
		LeaderElectionID:           "crossplane-leader-election-provider-dbaas",
		LeaderElectionResourceLock: resourcelock.LeasesResourceLock,
	})
	if err != nil {
		return fmt.Errorf("cannot create the controller manager: %w", err)
	}
	if err := apis.AddToScheme(mgr.GetScheme()); err != nil {
		return fmt.Errorf("cannot add the provider's APIs to the scheme: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return fmt.Errorf("cannot add the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return fmt.Errorf("cannot add the ready check: %w", err)
	}

	o := options.Options{
		Options: xpcontroller.Options{
			Logger:                  log,
			MaxConcurrentReconciles: options.Workers(*workers, *maxRate, rateGiven),
			PollInterval:            *pollInterval,
			GlobalRateLimiter:       ratelimiter.NewGlobal(*maxRate),
			Features:                &feature.Flags{},
			Gate:                    new(gate.Gate[schema.GroupVersionKind]),
		},
		LocalDir:          *localDir,
		GiveUpDeleteAfter: *giveUpDelete,
		WatchdogBinary:    *watchdogBin,
		BackupRoot:        *backupRoot,

		BackupVerifyInterval: *verifyEvery,
		BackupVerifyTimeout:  *verifyTimeout,
	}
	o.MetricOptions = metrics.Crossplane()
	// The instances' gauges are read from the manager's cache at each
	// scrape, so they say what the status says.
	metrics.WatchInstances(mgr.GetClient())
	o.Machines.Policy = providerconfig.Policy{Endpoints: splitList(*nsEndpoints)}
	// Management policies are how namespaced (v2) managed resources say
	// "orphan": a policy list without Delete.
	o.Features.Enable(feature.EnableBetaManagementPolicies)

	if err := controller.Setup(mgr, o); err != nil {
		return fmt.Errorf("cannot set up the controllers: %w", err)
	}
	return mgr.Start(ctrl.SetupSignalHandler())
}

// besideSelf is the file called name in the provider's own directory, where
// `make build` and the package put the provider's companion binaries; empty
// when the provider cannot tell where it is.
func besideSelf(name string) string {
	self, err := os.Executable()
	if err != nil {
		return ""
	}
	return filepath.Join(filepath.Dir(self), name)
}

// splitList splits a comma-separated flag into its non-empty entries.
func splitList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}
