// Package backup reconciles Backups: one pgBackRest backup of a
// DatabaseInstance, taken from its primary into the instance's
// BackupStore. A backup runs without holding a reconcile: Create starts it
// detached on the member, and Observe looks until the store lists it.
package backup

import (
	"context"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/databaseinstance"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/setup"
)

const (
	errGetInstance = "cannot get DatabaseInstance %s"
	errNoInstance  = "spec.forProvider.instance names no DatabaseInstance"

	// activePoll is how often a backup that runs or waits for the stanza's
	// lock is looked at.
	activePoll = 5 * time.Second

	// completedPoll is the least time between two looks at a completed
	// backup, which may since have been expired by the store's retention:
	// each look runs pgbackrest info on the instance's primary.
	completedPoll = 10 * time.Second
)

// Setup adds a controller that reconciles Backups.
func Setup(mgr ctrl.Manager, o options.Options) error {
	verifs := &verifications{}
	return setup.Setup(mgr, o, setup.Config[*v1alpha1.Backup]{
		Kind: v1alpha1.BackupGroupVersionKind,
		Connector: func(s setup.Shared) managed.TypedExternalConnector[*v1alpha1.Backup] {
			return &connector{kube: mgr.GetClient(), opts: o, record: s.Recorder, open: databaseinstance.OpenMembers, verifs: verifs}
		},
		Options: []managed.ReconcilerOption{
			// The external name is pgBackRest's label, known only once
			// the backup is in the store: nothing names it before.
			managed.WithInitializers(),
			managed.WithPollIntervalHook(pollInterval),
		},
	})
}

// pollInterval looks at a backup that runs or waits every activePoll, at
// a completed one no more often than every completedPoll, and at any other
// at the provider's poll interval.
func pollInterval(mg resource.Managed, d time.Duration) time.Duration {
	if b, ok := mg.(*v1alpha1.Backup); ok {
		switch b.Status.AtProvider.Phase {
		case v1alpha1.BackupRunning, v1alpha1.BackupPending:
			return min(d, activePoll)
		case v1alpha1.BackupCompleted:
			return max(d, completedPoll)
		}
	}
	return d
}

// openMembers reaches an instance's members (databaseinstance.OpenMembers).
type openMembers func(ctx context.Context, kube client.Client, o options.Options, cr *enginev1alpha1.DatabaseInstance) ([]databaseinstance.Member, func(), error)

type connector struct {
	kube   client.Client
	opts   options.Options
	record event.Recorder
	open   openMembers
	verifs *verifications
}

// Connect reads the Backup's instance. An instance that is gone is no
// error: the Backup is Failed, and can still be deleted.
func (c *connector) Connect(ctx context.Context, cr *v1alpha1.Backup) (managed.TypedExternalClient[*v1alpha1.Backup], error) {
	name := cr.Spec.ForProvider.Instance
	if name == "" {
		return nil, errors.New(errNoInstance)
	}
	e := &external{kube: c.kube, opts: c.opts, record: c.record, open: c.open, now: time.Now, verifs: c.verifs}
	inst := &enginev1alpha1.DatabaseInstance{}
	err := c.kube.Get(ctx, types.NamespacedName{Namespace: cr.GetNamespace(), Name: name}, inst)
	switch {
	case kerrors.IsNotFound(err):
		return e, nil
	case err != nil:
		return nil, errors.Wrapf(err, errGetInstance, name)
	}
	e.instance = inst
	return e, nil
}
