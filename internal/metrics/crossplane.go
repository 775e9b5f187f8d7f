package metrics

import (
	"sync"
	"time"

	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	xpcontroller "github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"
)

// StateInterval is how often the managed resources' state metrics
// (crossplane_managed_resource_exists/ready/synced) are counted afresh.
const StateInterval = 5 * time.Second

var crossplane = sync.OnceValue(func() *xpcontroller.MetricOptions {
	o := &xpcontroller.MetricOptions{
		PollStateMetricInterval: StateInterval,
		MRMetrics:               managed.NewMRMetricRecorder(),
		MRStateMetrics:          statemetrics.NewMRStateMetrics(),
	}
	ctrlmetrics.Registry.MustRegister(o.MRMetrics, o.MRStateMetrics)
	return o
})

// Crossplane returns crossplane-runtime's managed-resource metrics
// (first time to reconcile and to readiness, drift, deletion, and the
// per-kind exists/ready/synced counts), registered once in the registry the
// manager serves: every manager of a process, as a test's restarts make,
// shares them, since a registry takes each metric once.
func Crossplane() *xpcontroller.MetricOptions {
	return crossplane()
}
