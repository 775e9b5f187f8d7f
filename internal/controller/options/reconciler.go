package options

import (
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
)

// ReconcilerOptions are the managed reconciler options every kind of the
// provider shares, for the controller called name; callers add their
// external connector and anything of their own.
func ReconcilerOptions(mgr ctrl.Manager, o Options, name string) []managed.ReconcilerOption {
	opts := []managed.ReconcilerOption{
		managed.WithLogger(o.Logger.WithValues("controller", name)),
		managed.WithPollInterval(o.PollInterval),
		managed.WithRecorder(event.NewAPIRecorder(mgr.GetEventRecorderFor(name))), //nolint:staticcheck // crossplane-runtime still takes the old recorder.
		// Namespaced (v2) managed resources say "orphan" with a policy
		// list without Delete, so policies are always on.
		managed.WithManagementPolicies(),
		// What this provider observes (local machines and engines, the
		// engine's catalog) shows a completed create at once: something
		// not there really is missing, even right after a create, and
		// deletes are not held up waiting for a grace period to pass.
		managed.WithCreationGracePeriod(0),
	}
	if o.Features != nil && o.Features.Enabled(feature.EnableAlphaChangeLogs) && o.ChangeLogOptions != nil {
		opts = append(opts, managed.WithChangeLogger(o.ChangeLogOptions.ChangeLogger))
	}
	if o.MetricOptions != nil {
		opts = append(opts, managed.WithMetricRecorder(o.MetricOptions.MRMetrics))
	}
	return opts
}
