package backup

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
)

const msgOnlyFullKept = "backup %s stays in the store: pgBackRest keeps the only full backup of an instance until another full one exists; the store's retention removes it later"

// deleting reports whether Observe of cr must look at the store as a
// delete does: a Backup being deleted whose backup completed, or whose
// instance is gone. Its recorded status says nothing about whether Delete
// already expired the backup, so trusting it would call Delete forever.
func deleting(cr *v1alpha1.Backup, instanceGone bool) bool {
	return meta.WasDeleted(cr) && (instanceGone || meta.GetExternalName(cr) != "")
}

// observeDeleting says whether the backup of a Backup being deleted is
// still in the store. A backup that cannot be expired (its instance is
// gone, or it is the instance's only full backup, which pgBackRest keeps)
// is reported gone, with a warning event naming what was left behind, so
// the Backup's deletion does not wait forever.
func (e *external) observeDeleting(ctx context.Context, cr *v1alpha1.Backup) (managed.ExternalObservation, error) {
	label := meta.GetExternalName(cr)
	if e.instance == nil {
		if label != "" {
			e.record.Event(cr, event.Warning(reasonLeftInStore, errors.Errorf(msgGoneLeft, label)))
		}
		return managed.ExternalObservation{}, nil
	}
	s, _, err := e.stanza(ctx, "")
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrapf(err, errExpire, label)
	}
	switch {
	case findLabel(info, label) == nil:
		return managed.ExternalObservation{}, nil
	case onlyFull(info, label):
		e.record.Event(cr, event.Warning(reasonLeftInStore, errors.Errorf(msgOnlyFullKept, label)))
		return managed.ExternalObservation{}, nil
	}
	return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}, nil
}

// onlyFull reports whether label is the only full backup in info, which
// pgBackRest refuses to expire.
func onlyFull(info pgbackrest.Info, label string) bool {
	fulls, is := 0, false
	for _, b := range info.Backups {
		if b.Type == pgbackrest.TypeFull {
			fulls++
			is = is || b.Label == label
		}
	}
	return is && fulls == 1
}
