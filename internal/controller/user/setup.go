// Package user reconciles Users: logins on a DatabaseInstance or on an
// existing server (PostgreSQL roles, MySQL accounts, SQL Server logins and
// contained users).
package user

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

// Setup adds a controller that reconciles Users.
func Setup(mgr ctrl.Manager, o options.Options) error {
	name := managed.ControllerName(v1alpha1.UserGroupKind)

	opts := []managed.ReconcilerOption{
		managed.WithTypedExternalConnector[*v1alpha1.User](&connector{
			Connector: server.NewConnector(mgr, o.ServerLimiters, o.Machines.Policy),
			kube:      mgr.GetAPIReader(),
			bound:     sqlowner.Bound{After: o.DeleteBound(), Recorder: event.NewAPIRecorder(mgr.GetEventRecorderFor(name))}, //nolint:staticcheck // crossplane-runtime still takes the old recorder.
		}),
		// The name is the resource's own, never one Create learns.
		managed.WithDeterministicExternalName(true),
	}
	opts = append(opts, options.ReconcilerOptions(mgr, o, name)...)

	r := managed.NewReconciler(mgr, resource.ManagedKind(v1alpha1.UserGroupVersionKind), opts...)
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(&v1alpha1.User{}, builder.WithPredicates(resource.DesiredStateChanged())).
		Watches(&enginev1alpha1.DatabaseInstance{}, dependents.EnqueueOnInstance(mgr.GetClient(), v1alpha1.UserKind)).
		Watches(&v1alpha1.Database{}, dependents.EnqueueUsersOf(mgr.GetClient())).
		Complete(ratelimiter.NewReconciler(name, dependents.PromptRechecks(r, mgr.GetAPIReader(), func() client.Object { return &v1alpha1.User{} }), o.GlobalRateLimiter))
}
