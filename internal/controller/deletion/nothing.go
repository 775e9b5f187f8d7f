package deletion

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

const errNothing = "this resource manages nothing: %s"

// Nothing is the external client of a resource being deleted that never
// managed anything, such as one whose external name could not name anything:
// it reports nothing to delete, so the resource goes at once instead of
// retrying forever. Reason says why, should anything but a delete reach it.
type Nothing[T resource.Managed] struct {
	Reason string
}

// Observe reports that nothing exists.
func (n Nothing[T]) Observe(context.Context, T) (managed.ExternalObservation, error) {
	return managed.ExternalObservation{ResourceExists: false}, nil
}

// Create refuses: a resource being deleted is never created.
func (n Nothing[T]) Create(context.Context, T) (managed.ExternalCreation, error) {
	return managed.ExternalCreation{}, errors.Errorf(errNothing, n.Reason)
}

// Update refuses, as Create does.
func (n Nothing[T]) Update(context.Context, T) (managed.ExternalUpdate, error) {
	return managed.ExternalUpdate{}, errors.Errorf(errNothing, n.Reason)
}

// Delete has nothing to delete.
func (n Nothing[T]) Delete(context.Context, T) (managed.ExternalDelete, error) {
	return managed.ExternalDelete{}, nil
}

// Disconnect has nothing to close.
func (n Nothing[T]) Disconnect(context.Context) error { return nil }
