package setup

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// unchangedStatusSkipped is the manager the managed reconciler is made
// with: the same manager, whose client leaves out status updates that
// would change nothing. The managed reconciler writes the status at the
// end of every reconcile, also of a poll that found everything as it was;
// the API server answers such a write without storing anything, but it is
// still a request (and its admission and conversion) per resource per poll.
type unchangedStatusSkipped struct {
	ctrl.Manager
}

func (m unchangedStatusSkipped) GetClient() client.Client {
	return statusSkipping{Client: m.Manager.GetClient()}
}

// statusSkipping is a client whose status writer compares what it is to
// write with the object the cache holds.
type statusSkipping struct {
	client.Client
}

func (c statusSkipping) Status() client.SubResourceWriter {
	return skippingWriter{SubResourceWriter: c.Client.Status(), cache: c.Client}
}

type skippingWriter struct {
	client.SubResourceWriter
	cache client.Reader
}

// Update skips the write when the cache holds the object at the same
// resource version and equal to obj in every field: what the reconciler
// read, with nothing changed. Any difference, or a cache that cannot say,
// writes as before; a stale cache differs in its resource version, so a
// write is never skipped on its word.
func (w skippingWriter) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if len(opts) == 0 && w.unchanged(ctx, obj) {
		return nil
	}
	return w.SubResourceWriter.Update(ctx, obj, opts...)
}

func (w skippingWriter) unchanged(ctx context.Context, obj client.Object) bool {
	cached, ok := obj.DeepCopyObject().(client.Object)
	if !ok || obj.GetResourceVersion() == "" {
		return false
	}
	if err := w.cache.Get(ctx, client.ObjectKeyFromObject(obj), cached); err != nil {
		return false
	}
	return cached.GetResourceVersion() == obj.GetResourceVersion() && equality.Semantic.DeepEqual(cached, obj)
}
