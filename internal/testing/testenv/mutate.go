package testenv

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Mutate reads obj afresh, applies mod and updates it, again on each
// conflict. A running provider writes finalizers, annotations and status
// to the same objects the tests change; an update built on a copy read
// before such a write is refused, and a test that does not retry fails
// only when the provider happens to write in between.
func Mutate[T client.Object](ctx context.Context, c client.Client, obj T, mod func(T)) error {
	return retry.RetryOnConflict(conflictBackoff, func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		mod(obj)
		return c.Update(ctx, obj)
	})
}

// MutateStatus is Mutate for the status subresource.
func MutateStatus[T client.Object](ctx context.Context, c client.Client, obj T, mod func(T)) error {
	return retry.RetryOnConflict(conflictBackoff, func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		mod(obj)
		return c.Status().Update(ctx, obj)
	})
}

// conflictBackoff tries for about 20 s: a loaded provider may write the
// same object several times in a row.
var conflictBackoff = wait.Backoff{Steps: 10, Duration: 20 * time.Millisecond, Factor: 2, Jitter: 0.1}
