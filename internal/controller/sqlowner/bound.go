package sqlowner

import (
	"context"
	"slices"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/internal/controller/deletion"
)

const errLeftBehind = "gave up deleting after %s, leaving %s on the server as it is"

// A Bound says when a delete stops waiting for a server it cannot reach.
type Bound struct {
	After    time.Duration
	Recorder event.Recorder
	Now      func() time.Time
}

func (b Bound) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// GiveUp reports whether mg is being deleted and has waited past the bound.
func (b Bound) GiveUp(mg resource.Managed) bool {
	return meta.WasDeleted(mg) && deletion.GiveUp(mg, b.After, b.now())
}

// Abandon emits the Warning event that says what mg leaves behind, and why.
func (b Bound) Abandon(mg resource.Managed, what string, cause error) {
	if b.Recorder == nil {
		return
	}
	err := errors.Errorf(errLeftBehind, b.After, what)
	if cause != nil {
		err = errors.Wrap(cause, err.Error())
	}
	b.Recorder.Event(mg, event.Warning(deletion.ReasonAbandoned, err))
}

// LetGo emits the Warning event of a resource that finishes deleting
// without touching an object it does not own.
func (b Bound) LetGo(mg resource.Managed, cause error) {
	if b.Recorder == nil {
		return
	}
	b.Recorder.Event(mg, event.Warning(deletion.ReasonAbandoned, errors.Wrap(cause, "left on the server as it is, because this resource does not own it")))
}

// Abandoned is the external client of a resource past its delete bound
// whose server cannot be reached: it reports the object gone, so that the
// resource finishes deleting; Connect has emitted the Warning event.
type Abandoned[T resource.Managed] struct{}

// Observe reports that nothing is left to delete.
func (Abandoned[T]) Observe(context.Context, T) (managed.ExternalObservation, error) {
	return managed.ExternalObservation{ResourceExists: false}, nil
}

// Create is never called for a resource being deleted.
func (Abandoned[T]) Create(context.Context, T) (managed.ExternalCreation, error) {
	return managed.ExternalCreation{}, errors.New(errAbandoned)
}

// Update is never called for a resource being deleted.
func (Abandoned[T]) Update(context.Context, T) (managed.ExternalUpdate, error) {
	return managed.ExternalUpdate{}, errors.New(errAbandoned)
}

// Delete has nothing to do.
func (Abandoned[T]) Delete(context.Context, T) (managed.ExternalDelete, error) {
	return managed.ExternalDelete{}, nil
}

// Disconnect has nothing to close.
func (Abandoned[T]) Disconnect(context.Context) error { return nil }

const errAbandoned = "the resource is being deleted and its server is out of reach"

// Bounded wraps a resource's external client so that, past the delete
// bound, a failing Observe or Delete lets the resource go with a Warning
// event instead of holding it for ever. Before the bound, and for
// resources not being deleted, it changes nothing.
type Bounded[T resource.Managed] struct {
	managed.TypedExternalClient[T]
	Bound Bound
	// What names the object for the event.
	What func(T) string
}

// Observe deletes inline past the bound, so that an error of either step
// ends the wait: the reconciler would otherwise call Delete again and
// again.
func (b Bounded[T]) Observe(ctx context.Context, mg T) (managed.ExternalObservation, error) {
	o, err := b.TypedExternalClient.Observe(ctx, mg)
	if !b.Bound.GiveUp(mg) {
		return o, err
	}
	if err == nil && (!o.ResourceExists || !deletes(mg)) {
		return o, nil
	}
	if err == nil {
		if _, err = b.TypedExternalClient.Delete(ctx, mg); err == nil {
			return managed.ExternalObservation{ResourceExists: false}, nil
		}
	}
	b.Bound.Abandon(mg, b.What(mg), err)
	return managed.ExternalObservation{ResourceExists: false}, nil
}

// deletes says whether mg's management policies include deleting what it
// manages (namespaced resources orphan by leaving Delete out).
func deletes(mg resource.Managed) bool {
	p := mg.GetManagementPolicies()
	return len(p) == 0 || slices.Contains(p, xpv2.ManagementActionAll) || slices.Contains(p, xpv2.ManagementActionDelete)
}
