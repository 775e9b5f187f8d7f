package databaseinstance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

// Reasons of the WALArchiving condition.
const (
	ReasonArchiving     xpv2.ConditionReason = "Archiving"
	ReasonArchiveFailed xpv2.ConditionReason = "ArchiveFailed"
	ReasonArchivePends  xpv2.ConditionReason = "NothingArchivedYet"
)

const (
	// infoEvery is how often a look runs pgbackrest info for the recovery
	// window's backups: it reads the store, which costs far more than the
	// SQL query a look makes for the archived WAL.
	infoEvery = time.Minute
	// infoTimeout bounds pgbackrest info within a look.
	infoTimeout = 30 * time.Second
)

// archivingCondition is the WALArchiving condition from what the primary's
// archiver reports. Archiving works when its last success is no older than
// its last failure; cause is pgBackRest's own message of the failure, read
// only when there is one.
func archivingCondition(store string, a postgresql.Archiver, cause string) xpv2.Condition {
	c := xpv2.Condition{Type: v1alpha1.TypeWALArchiving, LastTransitionTime: metav1.Now()}
	switch {
	case a.LastArchivedTime.IsZero() && a.LastFailedTime.IsZero():
		c.Status, c.Reason = corev1.ConditionUnknown, ReasonArchivePends
		c.Message = fmt.Sprintf("no WAL segment was archived to %s yet", store)
	case !a.LastFailedTime.After(a.LastArchivedTime):
		c.Status, c.Reason = corev1.ConditionTrue, ReasonArchiving
		c.Message = fmt.Sprintf("WAL is archived to %s", store)
	default:
		if cause == "" {
			cause = "pgBackRest logged no error; see the server's log"
		}
		c.Status, c.Reason = corev1.ConditionFalse, ReasonArchiveFailed
		c.Message = fmt.Sprintf("archiving WAL segment %s to %s fails since %s: %s",
			a.LastFailed, store, a.LastFailedTime.UTC().Format(time.RFC3339), cause)
	}
	return c
}

// withoutCondition is conds without the condition of type ct. An instance
// that no longer archives WAL (its backup settings removed, or
// walArchiving turned off) has nothing to report there: the condition left
// as it last was would claim WAL is archived, or keep an alert on a
// failure that no longer matters.
func withoutCondition(conds []xpv2.Condition, ct xpv2.ConditionType) []xpv2.Condition {
	return slices.DeleteFunc(slices.Clone(conds), func(c xpv2.Condition) bool { return c.Type == ct })
}

// archiverSince is a without what it reports from before since: after a
// move to another store, the old store's successes and failures say
// nothing of the new one.
func archiverSince(a postgresql.Archiver, since time.Time) postgresql.Archiver {
	if a.LastArchivedTime.Before(since) {
		a.LastArchived, a.LastArchivedTime = "", time.Time{}
	}
	if a.LastFailedTime.Before(since) {
		a.LastFailed, a.LastFailedTime = "", time.Time{}
	}
	return a
}

// archiveFailing reports whether the archiver's last attempt failed.
func archiveFailing(a postgresql.Archiver) bool {
	return a.LastFailedTime.After(a.LastArchivedTime)
}

// withArchived is w with the newest segment the archiver reports; a
// server whose statistics started again (a new primary, a crash) reports
// none, and w keeps what was known.
func withArchived(w v1alpha1.RecoveryWindow, a postgresql.Archiver) v1alpha1.RecoveryWindow {
	if a.LastArchived == "" || a.LastArchivedTime.IsZero() {
		return w
	}
	t := metav1.NewTime(a.LastArchivedTime.UTC().Truncate(time.Second))
	w.LastArchivedWAL, w.LastArchivedTime = a.LastArchived, &t
	return w
}

// infoDue reports whether a look at now runs pgbackrest info, last run at
// last. It does not while archiving fails: the store is most likely what
// fails, and info would wait out its timeout on every minute.
func infoDue(last, now time.Time, failing bool) bool {
	return !failing && (last.IsZero() || now.Sub(last) >= infoEvery)
}

// observeBackup reports the instance's WAL archiving and recovery window.
// Configuration on a member that differs from the spec, or a stanza not
// yet created on the current primary, makes the instance out of date, so
// that Update writes and creates them. Nothing here fails the look but a
// member whose files cannot be read.
func (e *external) observeBackup(ctx context.Context, cr *v1alpha1.DatabaseInstance, o *managed.ExternalObservation) error {
	b := e.backup
	if b == nil || !b.archiving {
		cr.Status.Conditions = withoutCondition(cr.Status.Conditions, v1alpha1.TypeWALArchiving)
	}
	if b == nil {
		cr.Status.AtProvider.RecoveryWindow = nil
		return nil
	}
	b.memo.mu.Lock()
	w := *b.memo.window.DeepCopy()
	infoAt := b.memo.infoAt
	b.memo.mu.Unlock()
	defer func() {
		b.memo.mu.Lock()
		b.memo.window = *w.DeepCopy()
		b.memo.mu.Unlock()
		cr.Status.AtProvider.RecoveryWindow = w.DeepCopy()
	}()

	p := e.primaryMember()
	if !o.ResourceExists || p.off != "" {
		return nil
	}
	for _, m := range e.present() {
		if m.off != "" {
			continue
		}
		ok, err := b.stanzaOf(m).ConfigCurrent(ctx)
		if err != nil && m.vm == p.vm {
			return err
		}
		o.ResourceUpToDate = o.ResourceUpToDate && ok
	}
	if b.memo.createdOn() != p.vm {
		o.ResourceUpToDate = false
	}
	// A look during a switchover may find the named primary a standby,
	// whose archiver reports nothing.
	if cr.Status.AtProvider.Primary != p.vm {
		return nil
	}
	failing := false
	if b.archiving {
		a, err := p.inst.ArchiverStatus(ctx, e.password)
		if err != nil {
			// A primary that does not answer is the look's own concern;
			// the condition stays as it was.
			return nil
		}
		a = archiverSince(a, b.memo.archiverSince(time.Now()))
		failing = archiveFailing(a)
		cause := ""
		if failing {
			cause, _ = b.stanzaOf(p).LastArchiveError(ctx)
			cause = strings.Join(slices.DeleteFunc([]string{cause, b.storeNotReady}, func(s string) bool { return s == "" }), "; ")
		}
		cr.SetConditions(archivingCondition(b.store, a, cause))
		w = withArchived(w, a)
	}
	now := time.Now()
	if !infoDue(infoAt, now, failing) {
		return nil
	}
	b.memo.mu.Lock()
	b.memo.infoAt = now
	b.memo.mu.Unlock()
	ictx, cancel := context.WithTimeout(ctx, infoTimeout)
	defer cancel()
	if info, err := b.stanzaOf(p).Info(ictx); err == nil {
		w = withBackups(w, info.Backups)
	}
	return nil
}

// withBackups is w with the backups pgbackrest info lists, oldest first:
// the earliest point a restore reaches is the end of the oldest one.
func withBackups(w v1alpha1.RecoveryWindow, backups []pgbackrest.Backup) v1alpha1.RecoveryWindow {
	w.FirstRecoverabilityPoint, w.LastSuccessfulBackupTime = nil, nil
	if len(backups) == 0 {
		return w
	}
	first, last := metav1.NewTime(backups[0].Stop.UTC()), metav1.NewTime(backups[len(backups)-1].Stop.UTC())
	w.FirstRecoverabilityPoint, w.LastSuccessfulBackupTime = &first, &last
	return w
}
