// Package grant reconciles Grants: the privileges a user holds on a
// database, on a DatabaseInstance or on an existing server.
package grant

import (
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/controller/dependents"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/sqlowner"
)

// Setup adds a controller that reconciles Grants.
func Setup(mgr ctrl.Manager, o options.Options) error {
	name := managed.ControllerName(v1alpha1.GrantGroupKind)

	opts := []managed.ReconcilerOption{
		managed.WithTypedExternalConnector[*v1alpha1.Grant](&connector{
			Connector: server.NewConnector(mgr, o.ServerLimiters, o.Machines.Policy),
			bound:     sqlowner.Bound{After: o.DeleteBound(), Recorder: event.NewAPIRecorder(mgr.GetEventRecorderFor(name))}, //nolint:staticcheck // crossplane-runtime still takes the old recorder.
		}),
		// A grant is found by its user and database, never by a name
		// Create learns.
		managed.WithDeterministicExternalName(true),
	}
	opts = append(opts, options.ReconcilerOptions(mgr, o, name)...)

	r := managed.NewReconciler(mgr, resource.ManagedKind(v1alpha1.GrantGroupVersionKind), opts...)
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(&v1alpha1.Grant{}, builder.WithPredicates(resource.DesiredStateChanged())).
		Watches(&enginev1alpha1.DatabaseInstance{}, dependents.EnqueueOnInstance(mgr.GetClient(), v1alpha1.GrantKind)).
		Complete(ratelimiter.NewReconciler(name, dependents.PromptRechecks(r, mgr.GetAPIReader(), func() client.Object { return &v1alpha1.Grant{} }), o.GlobalRateLimiter))
}
