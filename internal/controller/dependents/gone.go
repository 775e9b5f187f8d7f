package dependents

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

const errGone = "the resource this one lives on is gone"

// Gone is the external client of a resource being deleted whose home (its
// DatabaseInstance, say) no longer exists: what lived there went with it,
// so the resource is reported as not existing and its finalizer is removed.
type Gone[T resource.Managed] struct{}

// Observe reports that the external resource does not exist.
func (Gone[T]) Observe(context.Context, T) (managed.ExternalObservation, error) {
	return managed.ExternalObservation{ResourceExists: false}, nil
}

// Create refuses: nothing can be created without a home. The managed
// reconciler never calls it for a resource being deleted.
func (Gone[T]) Create(context.Context, T) (managed.ExternalCreation, error) {
	return managed.ExternalCreation{}, errors.New(errGone)
}

// Update refuses, as Create does.
func (Gone[T]) Update(context.Context, T) (managed.ExternalUpdate, error) {
	return managed.ExternalUpdate{}, errors.New(errGone)
}

// Delete has nothing to do.
func (Gone[T]) Delete(context.Context, T) (managed.ExternalDelete, error) {
	return managed.ExternalDelete{}, nil
}

// Disconnect has nothing to close.
func (Gone[T]) Disconnect(context.Context) error { return nil }
