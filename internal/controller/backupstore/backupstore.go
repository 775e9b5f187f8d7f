// Package backupstore reconciles BackupStores: pgBackRest repositories
// that DatabaseInstances archive WAL and take Backups into. A store has
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
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/setup"
)

const (
	errResolve = "cannot resolve BackupStore %s"

	// msgPosix is a posix store's Ready message: its directory is on the
	// instances' machines, where the provider does not look on its own.
	msgPosix = "a posix store is a directory on each instance's machines: it is checked there, by each instance's WALArchiving condition"
)

// Setup adds a controller that reconciles BackupStores.
func Setup(mgr ctrl.Manager, o options.Options) error {
	return setup.Setup(mgr, o, setup.Config[*v1alpha1.BackupStore]{
		Kind: v1alpha1.BackupStoreGroupVersionKind,
		Connector: func(_ setup.Shared) managed.TypedExternalConnector[*v1alpha1.BackupStore] {
			return &connector{kube: mgr.GetClient(), backupRoot: backupRoot(o), look: lookLocally}
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

type connector struct {
	kube       client.Client
	backupRoot string
	look       look
}

// Connect resolves the store and its Secrets, which are read from the
// store's own namespace only.
func (c *connector) Connect(ctx context.Context, cr *v1alpha1.BackupStore) (managed.TypedExternalClient[*v1alpha1.BackupStore], error) {
	st, err := backupstore.FromSpec(ctx, c.kube, cr, c.backupRoot)
	if err != nil {
		return nil, errors.Wrapf(err, errResolve, cr.GetName())
	}
	return &external{store: st, look: c.look, now: time.Now}, nil
}

type external struct {
	store backupstore.Store
	look  look
	now   func() time.Time
}

// Observe checks an S3 store from the provider's host and reports its
// stanzas and size. The store always exists: nothing is created, so a
// store that cannot be reached is not Ready, with pgBackRest's words.
func (e *external) Observe(ctx context.Context, cr *v1alpha1.BackupStore) (managed.ExternalObservation, error) {
	exists := managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}
	if cr.Spec.ForProvider.Posix != nil {
		cr.SetConditions(xpv2.Available().WithMessage(msgPosix))
		return exists, nil
	}
	r, err := e.look(ctx, e.store)
	if err != nil {
		cr.SetConditions(xpv2.Unavailable().WithMessage(errors.Wrapf(err, "cannot reach BackupStore %s", cr.GetName()).Error()))
		return exists, nil
	}
	now := metav1.NewTime(e.now())
	cr.Status.AtProvider.Stanzas = r.Stanzas
	cr.Status.AtProvider.BytesUsed = &r.BytesUsed
	cr.Status.AtProvider.LastChecked = &now
	cr.SetConditions(xpv2.Available())
	return exists, nil
}

// Create does nothing: the bucket must exist, and pgBackRest makes a
// stanza's directories when an instance's archiving creates the stanza.
func (e *external) Create(_ context.Context, _ *v1alpha1.BackupStore) (managed.ExternalCreation, error) {
	return managed.ExternalCreation{}, nil
}

// Update does nothing: the store's settings take effect where instances
// write pgbackrest.conf.
func (e *external) Update(_ context.Context, _ *v1alpha1.BackupStore) (managed.ExternalUpdate, error) {
	return managed.ExternalUpdate{}, nil
}

// Delete removes nothing from the store: its backups are removed by their
// retention or by deleting their Backup resources.
func (e *external) Delete(_ context.Context, cr *v1alpha1.BackupStore) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	return managed.ExternalDelete{}, nil
}

// Disconnect does nothing: every look is a process of its own.
func (e *external) Disconnect(_ context.Context) error { return nil }
