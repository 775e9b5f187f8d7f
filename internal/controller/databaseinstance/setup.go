// Package databaseinstance reconciles DatabaseInstances: database engines
// installed and running on VirtualMachines.
package databaseinstance

import (
	"context"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/dependents"
	"github.com/dbaas-io/dbaas/internal/controller/options"
)

// Setup adds a controller that reconciles DatabaseInstances.
func Setup(mgr ctrl.Manager, o options.Options) error {
	return setup(mgr, o, hooks{})
}

// hooks let tests interrupt a create between its steps, as a provider that
// is killed halfway would.
type hooks struct {
	// afterInit runs after initdb and before the server is configured and
	// started; an error ends the create there.
	afterInit func(ctx context.Context) error
	// failoverStep runs after each step of a failover (stepEpochRecorded,
	// stepPromoted); an error ends the reconcile there, as a provider
	// killed at that point would.
	failoverStep func(ctx context.Context, step string) error
}

func setup(mgr ctrl.Manager, o options.Options, h hooks) error {
	name := managed.ControllerName(v1alpha1.DatabaseInstanceGroupKind)
	record := event.NewAPIRecorder(mgr.GetEventRecorderFor(name)) //nolint:staticcheck // crossplane-runtime still takes the old recorder.

	opts := []managed.ReconcilerOption{
		managed.WithTypedExternalConnector[*v1alpha1.DatabaseInstance](&boundedConnector{
			inner: &connector{
				kube:        mgr.GetClient(),
				record:      record,
				usage:       resource.NewProviderConfigUsageTracker(mgr.GetClient(), &apisv1alpha1.ProviderConfigUsage{}),
				backends:    o.Backends(),
				hooks:       h,
				deleteBound: o.DeleteBound(),
			},
			kube:   mgr.GetClient(),
			record: record,
			bound:  o.DeleteBound(),
			now:    time.Now,
		}),
		// The external name is the object's name and every create step is
		// idempotent, so a create cut short by a provider restart is safely
		// observed and finished.
		managed.WithDeterministicExternalName(true),
	}
	opts = append(opts, options.ReconcilerOptions(mgr, o, name)...)
	// An instance whose primary does not answer is looked at every second
	// until it answers again or a replica took over.
	opts = append(opts, managed.WithPollIntervalHook(pollWhileDown))

	r := managed.NewReconciler(mgr, resource.ManagedKind(v1alpha1.DatabaseInstanceGroupVersionKind), opts...)

	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(&v1alpha1.DatabaseInstance{}, builder.WithPredicates(resource.DesiredStateChanged())).
		Watches(&computev1alpha1.VirtualMachine{}, dependents.EnqueueInstancesOn(mgr.GetClient())).
		Watches(&sqlv1alpha1.Database{}, dependents.EnqueueInstance()).
		Watches(&sqlv1alpha1.User{}, dependents.EnqueueInstance()).
		Complete(ratelimiter.NewReconciler(name, dependents.PromptRechecks(r, mgr.GetAPIReader(), func() client.Object { return &v1alpha1.DatabaseInstance{} }), o.GlobalRateLimiter))
}
