// Package setup builds the controller of each managed kind of the provider
// in one way: the managed reconciler with the options every kind shares,
// the kind's own connector and options, the re-check prompting that makes
// a resource go on as soon as what it waits for changes, and the global
// rate limiter. A controller package says only what differs.
package setup

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/options"
)

const errNotObject = "cannot make an object of kind %s"

// Config is what the controller of one managed kind is made of beyond what
// every controller shares.
type Config[T resource.Managed] struct {
	// GroupKind names the controller (managed.ControllerName) and its
	// events; GroupVersionKind is the kind it reconciles.
	GroupKind        string
	GroupVersionKind schema.GroupVersionKind

	// Connector makes the kind's external connector from what the
	// controller shares with it.
	Connector func(Shared) managed.TypedExternalConnector[T]

	// Options are reconciler options of the kind's own, added after the
	// shared ones.
	Options []managed.ReconcilerOption

	// Watches are the other kinds whose changes wake resources of this
	// kind: what they wait for, or what waits for them.
	Watches []Watch
}

// Shared is what Setup makes once for a controller and hands its connector.
type Shared struct {
	// Recorder records the controller's events.
	Recorder event.Recorder
	// Usage records which provider config a resource uses, so that a
	// config in use is not deleted.
	Usage *resource.ProviderConfigUsageTracker
}

// A Watch wakes resources of the controller's kind when an object of
// another kind changes.
type Watch struct {
	// Kind is an empty object of the kind watched.
	Kind client.Object
	// Handler says which resources to wake: one of this package's
	// Enqueue functions.
	Handler handler.EventHandler
}

// Setup adds the controller that c describes to mgr. Every kind is
// re-checked promptly right after a create and while it is deleted (see
// promptRechecks), and reconciles only when its desired state changed or
// a watch wakes it.
func Setup[T resource.Managed](mgr ctrl.Manager, o options.Options, c Config[T]) error {
	name := managed.ControllerName(c.GroupKind)
	shared := Shared{
		Recorder: event.NewAPIRecorder(mgr.GetEventRecorderFor(name)), //nolint:staticcheck // crossplane-runtime still takes the old recorder.
		Usage:    resource.NewProviderConfigUsageTracker(mgr.GetClient(), &apisv1alpha1.ProviderConfigUsage{}),
	}
	ro, err := mgr.GetScheme().New(c.GroupVersionKind)
	if err != nil {
		return errors.Wrapf(err, errNotObject, c.GroupVersionKind)
	}
	kind, ok := ro.(client.Object)
	if !ok {
		return errors.Errorf(errNotObject, c.GroupVersionKind)
	}
	// Re-check prompting reads each resource afresh into an empty object
	// of the kind; a copy is of the type just checked.
	newObject := func() client.Object {
		o, _ := kind.DeepCopyObject().(client.Object)
		return o
	}

	opts := []managed.ReconcilerOption{managed.WithTypedExternalConnector[T](c.Connector(shared))}
	opts = append(opts, reconcilerOptions(o, name, shared.Recorder)...)
	opts = append(opts, c.Options...)
	r := managed.NewReconciler(mgr, resource.ManagedKind(c.GroupVersionKind), opts...)

	b := ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(kind, builder.WithPredicates(resource.DesiredStateChanged()))
	for _, w := range c.Watches {
		b = b.Watches(w.Kind, w.Handler)
	}
	return b.Complete(ratelimiter.NewReconciler(name, promptRechecks(r, mgr.GetAPIReader(), newObject), o.GlobalRateLimiter))
}
