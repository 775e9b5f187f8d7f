package firewallrule

import (
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"

	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/options"
)

// Setup adds a controller that reconciles FirewallRules.
func Setup(mgr ctrl.Manager, o options.Options) error {
	name := managed.ControllerName(v1alpha1.FirewallRuleGroupKind)

	opts := []managed.ReconcilerOption{
		managed.WithTypedExternalConnector[*v1alpha1.FirewallRule](&connector{
			kube:     mgr.GetClient(),
			usage:    resource.NewProviderConfigUsageTracker(mgr.GetClient(), &apisv1alpha1.ProviderConfigUsage{}),
			backends: o.Backends(),
			record:   event.NewAPIRecorder(mgr.GetEventRecorderFor(name)), //nolint:staticcheck // crossplane-runtime still takes the old recorder.
		}),
		// A rule's name in its backend is its external name, known before
		// the create call.
		managed.WithDeterministicExternalName(true),
	}
	opts = append(opts, options.ReconcilerOptions(mgr, o, name)...)

	r := managed.NewReconciler(mgr, resource.ManagedKind(v1alpha1.FirewallRuleGroupVersionKind), opts...)

	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(&v1alpha1.FirewallRule{}, builder.WithPredicates(resource.DesiredStateChanged())).
		Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
}
