// Package backupstore reconciles BackupStores and ClusterBackupStores:
// pgBackRest repositories that DatabaseInstances archive WAL and take
// Backups into. A store has
// nothing to create (its bucket or directory must exist) and deleting the
// resource removes nothing from it: the controller only checks that the
// store can be reached and reports what it holds.
package backupstore

import (
	"context"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/setup"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
)

const (
	errResolve = "cannot resolve %s %s"

	// msgPosix is a posix store's Ready message: its directory is on the
	// instances' machines, where the provider does not look on its own.
	msgPosix = "a posix store is a directory on each instance's machines: it is checked there, by each instance's WALArchiving condition"
)

// A store is a BackupStore or a ClusterBackupStore: the two kinds differ
// only in where their Secrets are, which backupstore.FromObject resolves,
// so one controller serves both.
type store interface {
	resource.Managed
	StoreObservation() *v1alpha1.BackupStoreObservation
}

// Setup adds the controllers that reconcile BackupStores and
// ClusterBackupStores.
func Setup(mgr ctrl.Manager, o options.Options) error {
	if err := setupKind[*v1alpha1.BackupStore](mgr, o, v1alpha1.BackupStoreGroupVersionKind); err != nil {
		return err
	}
	return setupKind[*v1alpha1.ClusterBackupStore](mgr, o, v1alpha1.ClusterBackupStoreGroupVersionKind)
}

func setupKind[T store](mgr ctrl.Manager, o options.Options, kind schema.GroupVersionKind) error {
	return setup.Setup(mgr, o, setup.Config[T]{
		Kind: kind,
		Connector: func(_ setup.Shared) managed.TypedExternalConnector[T] {
			return &connector[T]{kube: mgr.GetClient(), backupRoot: backupRoot(o), look: lookLocally}
		},
	})
}

// backupRoot is the provider's root of posix stores (--backup-root).
func backupRoot(o options.Options) string {
	if o.BackupRoot != "" {
		return o.BackupRoot
	}
	return backupstore.DefaultBackupRoot
}

// look reads what an S3 store holds, from the provider's host.
type look func(ctx context.Context, st backupstore.Store) (lookResult, error)

type connector[T store] struct {
	kube       client.Client
	backupRoot string
	look       look
}

// Connect resolves the store and its Secrets: a BackupStore's from its
// own namespace only, a ClusterBackupStore's from the namespaces it names.
func (c *connector[T]) Connect(ctx context.Context, cr T) (managed.TypedExternalClient[T], error) {
	st, err := backupstore.FromObject(ctx, c.kube, cr, c.backupRoot)
	if err != nil {
		return nil, errors.Wrapf(err, errResolve, kindOf(cr), cr.GetName())
	}
	return &external[T]{store: st, look: c.look, now: time.Now}, nil
}

// kindOf names cr's kind in messages; a typed object read through the
// client has no kind set, so it is told by its Go type.
func kindOf(cr store) string {
	if _, ok := cr.(*v1alpha1.ClusterBackupStore); ok {
		return v1alpha1.ClusterBackupStoreKind
	}
	return v1alpha1.BackupStoreKind
}

type external[T store] struct {
	store backupstore.Store
	look  look
	now   func() time.Time
}

// Observe checks an S3 store from the provider's host and reports its
// stanzas and size. The store always exists: nothing is created, so a
// store that cannot be reached is not Ready, with pgBackRest's words.
func (e *external[T]) Observe(ctx context.Context, cr T) (managed.ExternalObservation, error) {
	exists := managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}
	if e.store.Repo.Type == pgbackrest.RepoPosix {
		cr.SetConditions(xpv2.Available().WithMessage(msgPosix))
		return exists, nil
	}
	r, err := e.look(ctx, e.store)
	if err != nil {
		cr.SetConditions(xpv2.Unavailable().WithMessage(errors.Wrapf(err, "cannot reach %s %s", kindOf(cr), cr.GetName()).Error()))
		return exists, nil
	}
	now := metav1.NewTime(e.now())
	at := cr.StoreObservation()
	at.Stanzas = r.Stanzas
	at.BytesUsed = &r.BytesUsed
	at.LastChecked = &now
	cr.SetConditions(xpv2.Available())
	return exists, nil
}

// Create does nothing: the bucket must exist, and pgBackRest makes a
// stanza's directories when an instance's archiving creates the stanza.
func (e *external[T]) Create(_ context.Context, _ T) (managed.ExternalCreation, error) {
	return managed.ExternalCreation{}, nil
}

// Update does nothing: the store's settings take effect where instances
// write pgbackrest.conf.
func (e *external[T]) Update(_ context.Context, _ T) (managed.ExternalUpdate, error) {
	return managed.ExternalUpdate{}, nil
}

// Delete removes nothing from the store: its backups are removed by their
// retention or by deleting their Backup resources.
func (e *external[T]) Delete(_ context.Context, cr T) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	return managed.ExternalDelete{}, nil
}

// Disconnect does nothing: every look is a process of its own.
func (e *external[T]) Disconnect(_ context.Context) error { return nil }
