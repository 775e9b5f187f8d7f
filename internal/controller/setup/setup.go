// Package setup builds the controller of each managed kind of the provider
// in one way: the managed reconciler with the options every kind shares,
// the kind's own connector and options, the re-check prompting that makes
// a resource go on as soon as what it waits for changes (the watches of
// every kind, in one table in wake.go, and promptRechecks), and the global
// rate limiter. A controller package says only what differs: its kind, its
// connector and any options of its own.
package setup

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/sqlowner"
)

const errNotObject = "cannot make an object of kind %s"

// Config is what the controller of one managed kind is made of beyond what
// every controller shares.
type Config[T resource.Managed] struct {
	// Kind is the kind the controller reconciles; its group and kind name
	// the controller and its events.
	Kind schema.GroupVersionKind

	// Connector makes the kind's external connector from what the
	// controller shares with it.
	Connector func(Shared) managed.TypedExternalConnector[T]

	// Options are reconciler options of the kind's own, added after the
	// shared ones.
	Options []managed.ReconcilerOption

	// Instance, for the SQL kinds, names the DatabaseInstance a resource
	// lives on (empty: its provider config's server). It makes the
	// controller take each reconcile's turn on its server's token bucket
	// before the reconcile, giving the worker back while the turn is far
	// off (server.Turns).
	Instance func(T) string
}

// Shared is what Setup makes once for a controller and hands its connector.
type Shared struct {
	// Recorder records the controller's events.
	Recorder event.Recorder
	// Usage records which provider config a resource uses, so that a
	// config in use is not deleted.
	Usage *resource.ProviderConfigUsageTracker

	// Server connects SQL objects to the server they live on, and Bound
	// says when their deletes stop waiting for one out of reach: what the
	// SQL kinds (Database, User, Grant) connect with.
	Server server.Connector
	Bound  sqlowner.Bound
}

// Setup adds the controller that c describes to mgr. A resource is
// reconciled when its desired state changes, when what it waits for or
// what waits for it changes (watches), and promptly right after a create
// and while it is deleted (promptRechecks).
func Setup[T resource.Managed](mgr ctrl.Manager, o options.Options, c Config[T]) error {
	name := managed.ControllerName(c.Kind.GroupKind().String())
	shared := Shared{
		Recorder: event.NewAPIRecorder(mgr.GetEventRecorderFor(name)), //nolint:staticcheck // crossplane-runtime still takes the old recorder.
		Usage:    resource.NewProviderConfigUsageTracker(mgr.GetClient(), &apisv1alpha1.ProviderConfigUsage{}),
		Server:   server.NewConnector(mgr, o.ServerLimiters, o.ServerPools, o.Machines.Policy),
	}
	shared.Bound = sqlowner.Bound{After: o.DeleteBound(), Recorder: shared.Recorder}
	ro, err := mgr.GetScheme().New(c.Kind)
	if err != nil {
		return errors.Wrapf(err, errNotObject, c.Kind)
	}
	kind, ok := ro.(client.Object)
	if !ok {
		return errors.Errorf(errNotObject, c.Kind)
	}
	// Re-check prompting reads each resource afresh into an empty object
	// of the kind; a copy is of the type just checked.
	newObject := func() client.Object {
		obj, _ := kind.DeepCopyObject().(client.Object)
		return obj
	}

	opts := []managed.ReconcilerOption{managed.WithTypedExternalConnector[T](c.Connector(shared))}
	opts = append(opts, reconcilerOptions(o, name, shared.Recorder)...)
	opts = append(opts, c.Options...)
	r := managed.NewReconciler(unchangedStatusSkipped{mgr}, resource.ManagedKind(c.Kind), opts...)
	if err := addStateMetrics(mgr, o, c.Kind, name); err != nil {
		return err
	}

	b := ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(kind, builder.WithPredicates(resource.DesiredStateChanged()))
	for _, w := range watches(mgr.GetClient(), c.Kind.GroupKind()) {
		b = b.Watches(w.kind, w.handler)
	}
	var inner reconcile.Reconciler = r
	if c.Instance != nil {
		inner = &server.Turns{Inner: r, Connector: &shared.Server, Lookup: lookup(mgr.GetClient(), newObject, c.Instance)}
	}
	return b.Complete(ratelimiter.NewReconciler(name, promptRechecks(inner, mgr.GetAPIReader(), newObject), o.GlobalRateLimiter))
}

// lookup reads a SQL resource of kind T from the cache for server.Turns:
// the cache, because it runs before every reconcile and the managed
// reconciler reads the resource again anyway.
func lookup[T resource.Managed](c client.Reader, newObject func() client.Object, instance func(T) string) server.Lookup {
	return func(ctx context.Context, nn types.NamespacedName) (server.Managed, string, error) {
		o := newObject()
		if err := c.Get(ctx, nn, o); err != nil {
			return nil, "", err
		}
		mg, ok := o.(server.Managed)
		typed, okT := o.(T)
		if !ok || !okT {
			return nil, "", errors.Errorf(errNotObject, o.GetObjectKind().GroupVersionKind())
		}
		return mg, instance(typed), nil
	}
}
