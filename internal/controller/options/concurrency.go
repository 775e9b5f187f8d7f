package options

// The provider's defaults for how fast it reconciles. The global rate is
// a ceiling over every controller, well above what one server takes, so
// that what limits a server's resources is the server's own token bucket
// (maxOperationsPerSecond, set by the platform), not the provider. Workers
// are per kind: a Database waiting on its server does not hold up a
// VirtualMachine.
const (
	// DefaultMaxReconcileRate is --max-reconcile-rate: reconciles a
	// second across the provider, and through crossplane-runtime's
	// LimitRESTConfig five API requests a second for each.
	DefaultMaxReconcileRate = 100

	// DefaultWorkers is --workers: reconciles of one kind at a time. 50
	// did no better than 20 in bench-500 on a loaded machine, and the
	// three SQL kinds at 50 each could hold 150 connections to one
	// server, more than PostgreSQL's default max_connections.
	DefaultWorkers = 20
)

// Workers is how many reconciles of a kind run at once. Before --workers,
// --max-reconcile-rate set both the rate and the workers; a provider
// still started with only --max-reconcile-rate gets what it got then.
// workers is --workers, zero when not given; rateGiven says whether
// --max-reconcile-rate was.
func Workers(workers, rate int, rateGiven bool) int {
	switch {
	case workers > 0:
		return workers
	case rateGiven && rate > 0:
		return rate
	default:
		return DefaultWorkers
	}
}
