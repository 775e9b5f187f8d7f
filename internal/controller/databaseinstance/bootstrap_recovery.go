package databaseinstance

import (
	"context"
	"fmt"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

const (
	errRestoreGetBackup   = "cannot restore from Backup %s"
	errRestoreNoBackup    = "Backup %s does not exist in namespace %s: name a Backup of this namespace"
	errRestoreNotComplete = "Backup %s is %s, not Completed: wait until it completes, or name another one"
	errRestoreSourceGone  = "Backup %s's instance %s is gone, and with it the name of its store: restore with source {instance: %s, store: <its store>, storeKind: <BackupStore or ClusterBackupStore>} instead"
	errRestoreNoStore     = "Backup %s's instance %s has no spec.forProvider.backup, so no store to restore from"
	errRestoreGetSource   = "cannot get the source instance %s"
	errRestoreStore       = "cannot restore from %s"
	errRestoreOwnStanza   = "the instance would archive into the stanza it restores from (%s): restore into an instance of another name than %s"
	errRestoreInfo        = "cannot list the backups of instance %s in %s"
	errRestoreNoBackups   = "%s holds no backup of instance %s (stanza %s): %s"
	errRestoreExpired     = "Backup %s (label %s) is no longer in %s: name another one"
	errRestoreTooEarly    = "target time %s is not after %s, the end of %s in %s (the first point it can be restored to): choose a later time"
	errRestoreTooLate     = "target time %s is after %s, when instance %s last archived WAL: choose an earlier time, or wait until it archives past the target (status.atProvider.recoveryWindow.lastArchivedTime)"
	errRestoreFuture      = "target time %s is in the future"
	errRestoreTime        = "target time %q is not an RFC 3339 time such as 2026-12-07T02:31:59.135581Z"
	errRestore            = "cannot restore the backup of instance %s from %s"
	errRestoreReplay      = "cannot start the restored server"

	// msgUnreachable is the Ready message of an instance whose target
	// PostgreSQL cannot reach.
	msgUnreachable = "the restore cannot reach its target: delete this instance and restore into a new one with another target"
)

// restoring is spec.forProvider.bootstrap.recovery of an instance, and
// where its restore is. A restore only ever happens in Create, which runs
// only when the primary's data directory was never made: a running
// instance is never overwritten.
type restoring struct {
	spec v1alpha1.RecoveryParameters
	// root is the provider's --backup-root, below which posix stores are.
	root string
	// seen is what this reconcile's Observe found of the restored server.
	seen postgresql.Recovery
}

// restoringOf returns the instance's restore, nil when it is not restored.
func (c *connector) restoringOf(cr *v1alpha1.DatabaseInstance) *restoring {
	b := cr.Spec.ForProvider.Bootstrap
	if b == nil {
		return nil
	}
	return &restoring{spec: b.Recovery, root: c.backupRoot}
}

// recoverySource is what a restore reads from: the source's stanza as
// pgBackRest on the new primary's machine sees it, and the target.
type recoverySource struct {
	instance string
	store    backupstore.Ref
	stanza   *pgbackrest.Stanza
	target   pgbackrest.Target
}

// createRestored restores the source's backup into the primary's new data
// directory and starts it replaying, instead of initdb. Everything the
// spec names is checked first, and a restore that could not reach its
// target time is refused before anything starts. Nothing is published:
// Observe follows the replay, and once the server promoted Update makes it
// the instance's own.
func (e *external) createRestored(ctx context.Context, cr *v1alpha1.DatabaseInstance) error {
	src, err := e.recoverySource(ctx, cr)
	if err != nil {
		return err
	}
	if err := e.stage(ctx, cr, stepInitialise, func() error {
		return errors.Wrapf(src.stanza.Restore(ctx, src.target), errRestore, src.instance, src.store)
	}); err != nil {
		return err
	}
	return e.startReplay(ctx, cr)
}

// startReplay configures the restored primary as this instance's (its
// port, certificate, pg_hba.conf and settings replace the source's) and
// starts it replaying, archiving nothing until it is the instance's own.
func (e *external) startReplay(ctx context.Context, cr *v1alpha1.DatabaseInstance) error {
	p := e.primaryMember()
	if err := e.stage(ctx, cr, stepConfigure, func() error {
		_, err := p.inst.Configure(ctx, settings(p.inst, cr.Spec.ForProvider))
		return errors.Wrap(err, errConfigure)
	}); err != nil {
		return err
	}
	return e.stage(ctx, cr, stepStart, func() error { return errors.Wrap(p.inst.StartRecovery(ctx), errRestoreReplay) })
}

// recoverySource resolves the source of the restore and checks it: the
// Backup, the source instance and the store exist in this namespace, and
// a time target lies within what the store can restore.
func (e *external) recoverySource(ctx context.Context, cr *v1alpha1.DatabaseInstance) (*recoverySource, error) {
	r := e.restore.spec
	ns := cr.GetNamespace()
	var (
		instance, label string
		store           backupstore.Ref
	)
	var source *v1alpha1.DatabaseInstance
	if r.BackupRef != nil {
		b := &opsv1alpha1.Backup{}
		if err := e.kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: r.BackupRef.Name}, b); err != nil {
			if kerrors.IsNotFound(err) {
				return nil, errors.Errorf(errRestoreNoBackup, r.BackupRef.Name, ns)
			}
			return nil, errors.Wrapf(err, errRestoreGetBackup, r.BackupRef.Name)
		}
		at := b.Status.AtProvider
		if at.Phase != opsv1alpha1.BackupCompleted || at.Label == "" {
			phase := string(at.Phase)
			if phase == "" {
				phase = "not started"
			}
			return nil, errors.Errorf(errRestoreNotComplete, b.Name, phase)
		}
		instance, label = b.Spec.ForProvider.Instance, at.Label
		var err error
		if source, err = e.sourceInstance(ctx, ns, instance); err != nil {
			return nil, err
		}
		if source == nil {
			return nil, errors.Errorf(errRestoreSourceGone, b.Name, instance, instance)
		}
		if source.Spec.ForProvider.Backup == nil {
			return nil, errors.Errorf(errRestoreNoStore, b.Name, instance)
		}
		store = backupstore.InstanceStore(ns, source.Spec.ForProvider.Backup)
	} else {
		instance, store = r.Source.Instance, backupstore.SourceStore(ns, r.Source)
		var err error
		if source, err = e.sourceInstance(ctx, ns, instance); err != nil {
			return nil, err
		}
	}
	stanza, err := backupstore.Stanza(ns, instance)
	if err != nil {
		return nil, err
	}
	if instance == cr.GetName() && cr.Spec.ForProvider.Backup != nil {
		return nil, errors.Errorf(errRestoreOwnStanza, stanza, instance)
	}
	st, err := backupstore.Resolve(ctx, e.kube, store, e.restore.root)
	if err != nil {
		return nil, errors.Wrapf(err, errRestoreStore, store)
	}
	s := pgbackrest.New(e.primaryMember().inst, stanza, st.Repo)
	s.CA = st.CA
	target, err := recoveryTarget(r, label)
	if err != nil {
		return nil, err
	}
	src := &recoverySource{instance: instance, store: store, stanza: s, target: target}

	// The source's pgbackrest.conf goes beside the new instance's data
	// directory, which does not exist yet: a refusal starts nothing.
	ictx, cancel := context.WithTimeout(ctx, infoTimeout)
	defer cancel()
	if err := s.WriteConfig(ictx); err != nil {
		return nil, errors.Wrapf(err, errRestoreInfo, instance, store)
	}
	info, err := s.Info(ictx)
	if err != nil {
		return nil, errors.Wrapf(err, errRestoreInfo, instance, store)
	}
	if len(info.Backups) == 0 {
		return nil, errors.Errorf(errRestoreNoBackups, store, instance, stanza, info.Message)
	}
	var lastArchived *time.Time
	if source != nil && source.Spec.ForProvider.Backup != nil && backupstore.InstanceStore(ns, source.Spec.ForProvider.Backup) == store {
		if w := source.Status.AtProvider.RecoveryWindow; w != nil && w.LastArchivedTime != nil {
			t := w.LastArchivedTime.Time
			lastArchived = &t
		}
	}
	what := "the oldest backup of instance " + instance
	if r.BackupRef != nil {
		what = "Backup " + r.BackupRef.Name
	}
	if err := checkTarget(src.target, info.Backups, lastArchived, time.Now()); err != nil {
		if errors.Is(err, errLabelGone) {
			return nil, errors.Errorf(errRestoreExpired, r.BackupRef.Name, label, store)
		}
		var early *tooEarlyError
		if errors.As(err, &early) {
			return nil, errors.Errorf(errRestoreTooEarly, early.target, early.stop, what, store)
		}
		if errors.Is(err, errTargetLate) {
			return nil, errors.Errorf(errRestoreTooLate, timeString(src.target.Time), timeString(*lastArchived), instance)
		}
		return nil, err
	}
	return src, nil
}

// sourceInstance returns the named instance of namespace ns, nil when it
// is gone.
func (e *external) sourceInstance(ctx context.Context, ns, name string) (*v1alpha1.DatabaseInstance, error) {
	di := &v1alpha1.DatabaseInstance{}
	if err := e.kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, di); err != nil {
		if kerrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, errors.Wrapf(err, errRestoreGetSource, name)
	}
	return di, nil
}

// recoveryTarget is pgBackRest's target of r; label, when set, is the
// backup to restore.
func recoveryTarget(r v1alpha1.RecoveryParameters, label string) (pgbackrest.Target, error) {
	t := pgbackrest.Target{Set: label, Exclusive: r.Exclusive != nil && *r.Exclusive}
	switch tg := r.Target; {
	case tg.Time != "":
		at, err := time.Parse(time.RFC3339Nano, tg.Time)
		if err != nil {
			return t, errors.Wrapf(err, errRestoreTime, tg.Time)
		}
		t.Type, t.Time = pgbackrest.TargetTime, at
	case tg.LSN != "":
		t.Type, t.LSN = pgbackrest.TargetLSN, tg.LSN
	case tg.XID != "":
		t.Type, t.XID = pgbackrest.TargetXID, tg.XID
	case tg.Name != "":
		t.Type, t.Name = pgbackrest.TargetName, tg.Name
	default:
		t.Type = pgbackrest.TargetImmediate
	}
	return t, nil
}

var (
	errLabelGone  = errors.New("the backup's label is not in the store")
	errTargetLate = errors.New("the target time is after the last archived WAL")
)

// tooEarlyError is a target time at or before the end of the backup it
// would be restored from.
type tooEarlyError struct{ target, stop string }

func (e *tooEarlyError) Error() string {
	return fmt.Sprintf("target time %s is not after the backup's end %s", e.target, e.stop)
}

// checkTarget refuses a restore to t that cannot reach its target from
// backups (the store's, oldest first): the backup t names (Set) must be
// in the store, and a time target must come after the end of that backup
// (of the oldest one without a Set), no later than lastArchived when it is
// known, and not in the future. pgBackRest records a backup's end in whole
// seconds and restores to a time only from a backup that ended in an
// earlier second; lastArchived is recorded in whole seconds too, so a
// target in its second passes. Other targets are for PostgreSQL to reach,
// or not.
func checkTarget(t pgbackrest.Target, backups []pgbackrest.Backup, lastArchived *time.Time, now time.Time) error {
	base := backups[0]
	if t.Set != "" {
		found := false
		for _, b := range backups {
			if b.Label == t.Set {
				base, found = b, true
			}
		}
		if !found {
			return errLabelGone
		}
	}
	if t.Type != pgbackrest.TargetTime {
		return nil
	}
	sec := t.Time.Truncate(time.Second)
	if !sec.After(base.Stop.Truncate(time.Second)) {
		return &tooEarlyError{target: timeString(t.Time), stop: timeString(base.Stop)}
	}
	if t.Time.After(now) {
		return errors.Errorf(errRestoreFuture, timeString(t.Time))
	}
	if lastArchived != nil && sec.After(lastArchived.Truncate(time.Second)) {
		return errTargetLate
	}
	return nil
}

func timeString(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// observeRestore follows a restored instance until its server is its own:
// done is false while the restore is not finished, and o is then the
// look's observation. Nothing is published before that.
func (e *external) observeRestore(ctx context.Context, cr *v1alpha1.DatabaseInstance) (o managed.ExternalObservation, done bool, err error) {
	p := e.primaryMember()
	if p.off != "" {
		// A machine that is off: the look says so as for any instance.
		return managed.ExternalObservation{}, true, nil
	}
	if !initialized(ctx, p.inst) {
		return managed.ExternalObservation{ResourceExists: false}, false, nil
	}
	rec, err := p.inst.RecoveryStatus(ctx)
	if err != nil {
		return managed.ExternalObservation{}, false, err
	}
	e.restore.seen = rec
	o = managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}
	switch rec.Phase {
	case postgresql.RecoveryDone:
		cr.SetConditions(recoveryCondition(corev1.ConditionTrue, v1alpha1.ReasonRecovered, "the restore reached its target; the instance is its own"))
		return o, true, nil
	case postgresql.RecoveryUnreachable:
		cr.SetConditions(recoveryCondition(corev1.ConditionFalse, v1alpha1.ReasonRecoveryTargetUnreachable, rec.Message),
			xpv2.Unavailable().WithMessage(msgUnreachable))
		return o, false, nil
	case postgresql.RecoveryReplaying:
		cr.SetConditions(recoveryCondition(corev1.ConditionUnknown, v1alpha1.ReasonReplaying, "PostgreSQL replays the archived WAL towards the target"), xpv2.Creating())
		return o, false, nil
	case postgresql.RecoveryPromoted:
		cr.SetConditions(recoveryCondition(corev1.ConditionUnknown, v1alpha1.ReasonReplaying, "PostgreSQL reached the target and promoted; the instance gets its own password and settings"), xpv2.Creating())
	default:
		msg := "the restored server does not run; it is started"
		if rec.Message != "" {
			msg += "; it logged: " + rec.Message
		}
		cr.SetConditions(recoveryCondition(corev1.ConditionUnknown, v1alpha1.ReasonRecoveryFailed, msg), xpv2.Creating())
	}
	o.ResourceUpToDate = false
	return o, false, nil
}

// updateRestore moves a restore that Observe found unfinished on: a
// restored server that stopped starts replaying again, and one that
// promoted becomes the instance's own. done is false when it did either.
func (e *external) updateRestore(ctx context.Context, cr *v1alpha1.DatabaseInstance) (done bool, err error) {
	switch e.restore.seen.Phase {
	case "", postgresql.RecoveryDone:
		return true, nil
	case postgresql.RecoveryPromoted:
		return false, e.primaryMember().inst.FinishRecovery(ctx, e.password)
	case postgresql.RecoveryStopped:
		return false, e.startReplay(ctx, cr)
	default:
		return false, nil
	}
}

func recoveryCondition(s corev1.ConditionStatus, reason xpv2.ConditionReason, msg string) xpv2.Condition {
	return xpv2.Condition{Type: v1alpha1.TypeRecovery, Status: s, Reason: reason, Message: msg, LastTransitionTime: metav1.Now()}
}
