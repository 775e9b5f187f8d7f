package dependents

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// deletingRecheck is how soon a resource being deleted is looked at again
// when the managed reconciler asks for a retry.
const deletingRecheck = time.Second

// PromptDeletes wraps a managed reconciler so that a resource being deleted
// is looked at again after a short fixed delay, not after the per-object
// exponential back-off that its earlier retries built up. The managed
// reconciler asks for a rate-limited retry after every successful external
// delete (to confirm the resource is gone) and while a delete waits for its
// dependents; by then a resource may have collected enough retries, while
// waiting for its machine or its dependents, for that back-off to reach a
// minute. A resource that is not being deleted keeps the back-off.
func PromptDeletes(r reconcile.Reconciler, c client.Reader, newObject func() client.Object) reconcile.Reconciler {
	return reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		res, err := r.Reconcile(ctx, req)
		if err != nil || !res.Requeue || res.RequeueAfter > 0 { //nolint:staticcheck // The managed reconciler still sets Requeue.
			return res, err
		}
		o := newObject()
		if c.Get(ctx, req.NamespacedName, o) != nil || o.GetDeletionTimestamp().IsZero() {
			return res, nil
		}
		return reconcile.Result{RequeueAfter: deletingRecheck}, nil
	})
}
