package setup

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/dbaas-io/dbaas/internal/controller/options"
)

// reconcilerOptions are the managed reconciler options every kind of the
// provider shares, for the controller called name; Setup adds the kind's
// external connector and anything of its own.
func reconcilerOptions(o options.Options, name string, record event.Recorder) []managed.ReconcilerOption {
	opts := []managed.ReconcilerOption{
		managed.WithLogger(o.Logger.WithValues("controller", name)),
		managed.WithPollInterval(o.PollInterval),
		managed.WithRecorder(record),
		// Namespaced (v2) managed resources say "orphan" with a policy
		// list without Delete, so policies are always on.
		managed.WithManagementPolicies(),
		// What this provider observes (local machines and engines, the
		// engine's catalog) shows a completed create at once: something
		// not there really is missing, even right after a create, and
		// deletes are not held up waiting for a grace period to pass.
		managed.WithCreationGracePeriod(0),
		// Every kind's external name is known before the create call: a
		// machine's or a rule's name in its backend, an instance's,
		// database's or user's own name, a grant's user and database.
		// So a create cut short (the provider killed before it recorded
		// the result) is found again by Observe instead of being made
		// twice, and a stale cache read right after a create is no reason
		// to doubt the name.
		managed.WithDeterministicExternalName(true),
	}
	if o.Features != nil && o.Features.Enabled(feature.EnableAlphaChangeLogs) && o.ChangeLogOptions != nil {
		opts = append(opts, managed.WithChangeLogger(o.ChangeLogOptions.ChangeLogger))
	}
	if o.MetricOptions != nil {
		opts = append(opts, managed.WithMetricRecorder(o.MetricOptions.MRMetrics))
	}
	return opts
}
