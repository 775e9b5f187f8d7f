// Package database reconciles Databases: databases on a DatabaseInstance or
// on an existing server, made by the provider's own SQL or by the stored
// procedures of a DatabaseClass.
package database

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

// Setup adds a controller that reconciles Databases.
func Setup(mgr ctrl.Manager, o options.Options) error {
	name := managed.ControllerName(v1alpha1.DatabaseGroupKind)

	c := &connector{
		Connector: server.NewConnector(mgr, o.ServerLimiters, o.Machines.Policy),
		kube:      mgr.GetAPIReader(),
		bound:     sqlowner.Bound{After: o.DeleteBound(), Recorder: event.NewAPIRecorder(mgr.GetEventRecorderFor(name))}, //nolint:staticcheck // crossplane-runtime still takes the old recorder.
	}
	opts := []managed.ReconcilerOption{
		managed.WithTypedExternalConnector[*v1alpha1.Database](c),
		// The name is the resource's own, never one Create learns, so a
		// stale cache read right after a create is no reason to doubt it.
		managed.WithDeterministicExternalName(true),
	}
	opts = append(opts, options.ReconcilerOptions(mgr, o, name)...)

	r := managed.NewReconciler(mgr, resource.ManagedKind(v1alpha1.DatabaseGroupVersionKind), opts...)
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(&v1alpha1.Database{}, builder.WithPredicates(resource.DesiredStateChanged())).
		Watches(&enginev1alpha1.DatabaseInstance{}, dependents.EnqueueOnInstance(mgr.GetClient(), v1alpha1.DatabaseKind)).
		Watches(&v1alpha1.User{}, dependents.EnqueueDatabasesOwnedBy(mgr.GetClient())).
		Complete(ratelimiter.NewReconciler(name, dependents.PromptRechecks(r, mgr.GetAPIReader(), func() client.Object { return &v1alpha1.Database{} }), o.GlobalRateLimiter))
}
