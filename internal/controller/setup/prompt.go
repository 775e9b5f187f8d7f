package setup

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
)

const (
	// recheck is how soon a resource that has just made progress is looked
	// at again when the managed reconciler asks for a retry.
	recheck = time.Second

	// justCreated is how long after a successful create a resource counts
	// as just created.
	justCreated = 30 * time.Second
)

// promptRechecks wraps a managed reconciler so that a resource that has
// just been created, or is being deleted, is looked at again after a short
// fixed delay instead of the per-object exponential back-off. The managed
// reconciler asks for a rate-limited retry after every successful external
// create or delete (to confirm the result) and while a delete waits for its
// dependents. By then a resource may have collected enough failed retries,
// while waiting for its machine, its instance or its owner, for that
// back-off to reach a minute, and the user would wait that long to see a
// finished create or delete. Everything else keeps the back-off.
//
// c should read from the API server, not a cache, so that the annotation
// the reconciler has just written is seen.
func promptRechecks(r reconcile.Reconciler, c client.Reader, newObject func() client.Object) reconcile.Reconciler {
	return reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		res, err := r.Reconcile(ctx, req)
		if err != nil || !res.Requeue || res.RequeueAfter > 0 {
			return res, err
		}
		o := newObject()
		if c.Get(ctx, req.NamespacedName, o) != nil {
			return res, nil //nolint:nilerr // Without the object the reconciler's own result stands.
		}
		created := meta.GetExternalCreateSucceeded(o)
		if o.GetDeletionTimestamp().IsZero() && (created.IsZero() || time.Since(created) > justCreated) {
			return res, nil
		}
		return reconcile.Result{RequeueAfter: recheck}, nil
	})
}
