package backup

import (
	"context"
	"fmt"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
)

const msgExpired = "the store no longer lists backup %s: the store's retention (or an expire from outside the provider) removed it; it cannot be restored from"

// lookAgain says whether a Backup's recorded phase is one the store is
// looked at again for: a Completed backup may since have been expired by
// the store's retention. An Expired one stays so, and is not looked at.
func lookAgain(at v1alpha1.BackupObservation, label string) bool {
	return label != "" && at.Label == label && at.Phase == v1alpha1.BackupCompleted
}

// afterLook is the phase and message of a completed backup once the store
// was looked at: Expired when it no longer lists it.
func afterLook(label string, listed bool) (v1alpha1.BackupPhase, string) {
	if listed {
		return v1alpha1.BackupCompleted, ""
	}
	return v1alpha1.BackupExpired, fmt.Sprintf(msgExpired, label)
}

// observeCompleted looks whether the store still lists a completed
// backup. The look is read on the instance's primary, which sees the same
// store as the member the backup was taken on, also after that member is
// gone. With the instance gone nothing can be looked at, and the backup
// stays Completed as recorded. One the store lists is then verified
// (observeVerified).
func (e *external) observeCompleted(ctx context.Context, cr *v1alpha1.Backup) (managed.ExternalObservation, error) {
	exists := managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}
	at := &cr.Status.AtProvider
	if e.instance == nil {
		e.observeVerified(ctx, cr)
		return exists, nil
	}
	s, vm, err := e.stanza(ctx, "")
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrapf(err, errLook, vm)
	}
	at.Phase, at.Message = afterLook(at.Label, findLabel(info, at.Label) != nil)
	if at.Phase == v1alpha1.BackupExpired {
		cr.SetConditions(xpv2.Unavailable().WithMessage(at.Message))
		return exists, nil
	}
	e.observeVerified(ctx, cr)
	return exists, nil
}
