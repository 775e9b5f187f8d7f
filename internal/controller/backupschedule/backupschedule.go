// Package backupschedule reconciles BackupSchedules: it makes a Backup of
// a DatabaseInstance each time one of the schedule's cron slots falls due,
// one at a time, and deletes the Backup resources beyond the schedule's
// history limits. A schedule has no external resource, so it is a plain
// controller-runtime reconciler: it wakes at the next due time
// (RequeueAfter), when a Backup it made changes, and when a
// DatabaseInstance or BackupStore of its namespace comes, goes or changes.
package backupschedule

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/options"
)

const (
	errGetSchedule = "cannot get BackupSchedule"
	errListBackups = "cannot list the Backups of BackupSchedule %s"
	errCreate      = "cannot create Backup %s"
	errPrune       = "cannot delete Backup %s, which is beyond the history limit"
	errStatus      = "cannot update the status of BackupSchedule %s"

	msgSuspended  = "suspended: no backups are taken until spec.suspend is false"
	msgScheduled  = "backups are taken on schedule; the next is due %s"
	msgNeverDue   = "no slot of this schedule falls due again"
	msgLastFailed = "the last Backup, %s, failed: %s"
	msgStuck      = "runs are skipped: Backup %s of this schedule has not started: %s"
	msgTaken      = "took Backup %s (%s) of DatabaseInstance %s for the run of %s"
	msgSkipped    = "skipped the run of %s: Backup %s of this schedule is still pending or running, and a schedule takes one backup at a time"
	msgPruned     = "deleted Backup %s, beyond the history limit; its backup stays in the store until the store's retention removes it"

	// nameTime is the scheduled time in a Backup's name: <schedule>-<yyyymmddhhmmss>.
	nameTime = "20060102150405"
)

// Events of a schedule.
const (
	reasonTaken   event.Reason = "BackupTaken"
	reasonSkipped event.Reason = "RunSkipped"
	reasonPruned  event.Reason = "BackupPruned"
	reasonInvalid event.Reason = "CannotSchedule"
)

// scheduledPolicies are the management policies of the Backups a schedule
// makes: everything but Delete, because what the store keeps is its
// retention's. Deleting a Backup beyond the history limit then leaves its
// backup in the store.
var scheduledPolicies = xpv2.ManagementPolicies{
	xpv2.ManagementActionObserve, xpv2.ManagementActionCreate,
	xpv2.ManagementActionUpdate, xpv2.ManagementActionLateInitialize,
}

// Setup adds a controller that reconciles BackupSchedules.
func Setup(mgr ctrl.Manager, o options.Options) error {
	name := "backupschedule/" + v1alpha1.BackupScheduleGroupKind
	r := &reconciler{
		kube:   mgr.GetClient(),
		record: event.NewAPIRecorder(mgr.GetEventRecorderFor(name)), //nolint:staticcheck // crossplane-runtime still takes the old recorder.
		log:    o.Logger.WithValues("controller", name),
		now:    time.Now,
	}
	// A schedule's own status writes do not wake it; its spec, its
	// Backups, and its namespace's instances and stores do.
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(&v1alpha1.BackupSchedule{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&v1alpha1.Backup{}).
		Watches(&enginev1alpha1.DatabaseInstance{}, schedulesOfNamespace(mgr.GetClient()), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&v1alpha1.BackupStore{}, schedulesOfNamespace(mgr.GetClient()), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&v1alpha1.ClusterBackupStore{}, schedulesOfNamespace(mgr.GetClient()), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
}

// schedulesOfNamespace wakes every schedule of an object's namespace: a
// namespace holds few schedules, and which instance a selector picks is
// the reconcile's to say. A ClusterBackupStore has no namespace, so it
// wakes every schedule: which of them use it is the reconcile's to say
// too, and a cluster store changes rarely.
func schedulesOfNamespace(c client.Reader) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		l := &v1alpha1.BackupScheduleList{}
		if c.List(ctx, l, client.InNamespace(o.GetNamespace())) != nil {
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(l.Items))
		for _, s := range l.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: s.GetNamespace(), Name: s.GetName()}})
		}
		return reqs
	})
}

type reconciler struct {
	kube   client.Client
	record event.Recorder
	log    logging.Logger
	now    func() time.Time
}

// Reconcile takes the run that is due, prunes the history, records what it
// did in the status, and wakes again at the next due time.
func (r *reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	s := &v1alpha1.BackupSchedule{}
	if err := r.kube.Get(ctx, req.NamespacedName, s); err != nil {
		return reconcile.Result{}, errors.Wrap(client.IgnoreNotFound(err), errGetSchedule)
	}
	if !s.GetDeletionTimestamp().IsZero() {
		// Its Backups are its owned objects: the garbage collector
		// deletes them, and their backups stay in the store.
		return reconcile.Result{}, nil
	}
	orig := s.Status.DeepCopy()

	slots, loc, err := parseSpec(s.Spec)
	if err == nil {
		var instance string
		if instance, err = instanceOf(ctx, r.kube, s); err == nil {
			return r.schedule(ctx, s, orig, slots, loc, instance)
		}
	}
	// A spec that cannot be read, or an instance or store that is gone:
	// nothing is made until the schedule or what it names changes.
	if !orig.GetCondition(xpv2.TypeSynced).Equal(xpv2.ReconcileError(err).WithObservedGeneration(s.GetGeneration())) {
		r.record.Event(s, event.Warning(reasonInvalid, err))
	}
	s.Status.NextScheduleTime = nil
	s.Status.SetConditions(xpv2.ReconcileError(err).WithObservedGeneration(s.GetGeneration()),
		xpv2.Unavailable().WithMessage(err.Error()).WithObservedGeneration(s.GetGeneration()))
	return reconcile.Result{}, r.writeStatus(ctx, s, orig)
}

// schedule acts on a schedule that names an instance with a store.
func (r *reconciler) schedule(ctx context.Context, s *v1alpha1.BackupSchedule, orig *v1alpha1.BackupScheduleStatus, slots []slot, loc *time.Location, instance string) (reconcile.Result, error) {
	backups, err := r.backupsOf(ctx, s)
	if err != nil {
		return reconcile.Result{}, err
	}
	st := state{
		slots: slots, loc: loc, now: r.now(), created: s.GetCreationTimestamp().Time,
		suspend: s.Spec.Suspend, immediate: s.Spec.Immediate,
		keepDone: limit(s.Spec.SuccessfulBackupsHistoryLimit, 3), keepFailed: limit(s.Spec.FailedBackupsHistoryLimit, 1),
		backups: backups,
	}
	if l := s.Status.LastScheduleTime; l != nil {
		st.last = &l.Time
	}
	p := decide(st)

	for _, name := range p.prune {
		b := &v1alpha1.Backup{ObjectMeta: metav1.ObjectMeta{Namespace: s.GetNamespace(), Name: name}}
		if err := r.kube.Delete(ctx, b); client.IgnoreNotFound(err) != nil {
			return reconcile.Result{}, errors.Wrapf(err, errPrune, name)
		}
		r.record.Event(s, event.Normal(reasonPruned, fmt.Sprintf(msgPruned, name)))
	}
	switch {
	case p.take != nil:
		name, err := r.take(ctx, s, instance, *p.take)
		if err != nil {
			return reconcile.Result{}, err
		}
		s.Status.LastBackup, s.Status.Active = name, name
	case p.skip != nil:
		r.record.Event(s, event.Normal(reasonSkipped, fmt.Sprintf(msgSkipped, p.skip.at.In(loc).Format(time.RFC3339), p.active)))
		s.Status.Active = p.active
	default:
		s.Status.Active = p.active
	}
	if p.record != nil {
		s.Status.LastScheduleTime = &metav1.Time{Time: *p.record}
	}
	s.Status.NextScheduleTime = nil
	if p.next != nil {
		s.Status.NextScheduleTime = &metav1.Time{Time: *p.next}
	}
	s.Status.SetConditions(xpv2.ReconcileSuccess().WithObservedGeneration(s.GetGeneration()), ready(s, p, backups, loc))
	if err := r.writeStatus(ctx, s, orig); err != nil {
		return reconcile.Result{}, err
	}
	if p.next == nil {
		return reconcile.Result{}, nil
	}
	return reconcile.Result{RequeueAfter: max(p.next.Sub(r.now()), time.Second)}, nil
}

// ready is the schedule's Ready condition: True while it takes backups as
// asked (suspended included), False when its last Backup failed or runs
// are skipped behind one that cannot start.
func ready(s *v1alpha1.BackupSchedule, p plan, backups []made, loc *time.Location) xpv2.Condition {
	gen := s.GetGeneration()
	if b := stuck(backups, p.active); b != nil && p.skip != nil {
		return xpv2.Unavailable().WithMessage(fmt.Sprintf(msgStuck, b.name, b.message)).WithObservedGeneration(gen)
	}
	if f := lastFailed(backups); f != nil && p.take == nil {
		return xpv2.Unavailable().WithMessage(fmt.Sprintf(msgLastFailed, f.name, f.message)).WithObservedGeneration(gen)
	}
	switch {
	case s.Spec.Suspend:
		return xpv2.Available().WithMessage(msgSuspended).WithObservedGeneration(gen)
	case p.next == nil:
		return xpv2.Available().WithMessage(msgNeverDue).WithObservedGeneration(gen)
	}
	return xpv2.Available().WithMessage(fmt.Sprintf(msgScheduled, p.next.In(loc).Format(time.RFC3339))).WithObservedGeneration(gen)
}

// take makes the Backup of a run. Its name comes from the run's scheduled
// time, so a run made again after a lost status write finds it there.
func (r *reconciler) take(ctx context.Context, s *v1alpha1.BackupSchedule, instance string, due run) (string, error) {
	name := s.GetName() + "-" + due.at.UTC().Format(nameTime)
	b := &v1alpha1.Backup{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: s.GetNamespace(),
			Name:      name,
			Labels:    map[string]string{v1alpha1.LabelBackupSchedule: s.GetName()},
		},
		Spec: v1alpha1.BackupSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ManagementPolicies: scheduledPolicies},
			ForProvider:         v1alpha1.BackupParameters{Instance: instance, Type: due.typ},
		},
	}
	if err := ctrl.SetControllerReference(s, b, r.kube.Scheme()); err != nil {
		return "", errors.Wrapf(err, errCreate, name)
	}
	switch err := r.kube.Create(ctx, b); {
	case kerrors.IsAlreadyExists(err):
		return name, nil
	case err != nil:
		return "", errors.Wrapf(err, errCreate, name)
	}
	r.record.Event(s, event.Normal(reasonTaken, fmt.Sprintf(msgTaken, name, due.typ, instance, due.at.Format(time.RFC3339))))
	return name, nil
}

// backupsOf are the Backups the schedule made and that are not being
// deleted.
func (r *reconciler) backupsOf(ctx context.Context, s *v1alpha1.BackupSchedule) ([]made, error) {
	l := &v1alpha1.BackupList{}
	if err := r.kube.List(ctx, l, client.InNamespace(s.GetNamespace()), client.MatchingLabels{v1alpha1.LabelBackupSchedule: s.GetName()}); err != nil {
		return nil, errors.Wrapf(err, errListBackups, s.GetName())
	}
	out := make([]made, 0, len(l.Items))
	for _, b := range l.Items {
		if !b.GetDeletionTimestamp().IsZero() || !metav1.IsControlledBy(&b, s) {
			continue
		}
		out = append(out, made{name: b.GetName(), created: b.GetCreationTimestamp().Time, phase: b.Status.AtProvider.Phase, message: backupMessage(&b)})
	}
	return out, nil
}

// backupMessage is why a Backup failed: its phase's message, or its
// conditions' when it never started.
func backupMessage(b *v1alpha1.Backup) string {
	if m := b.Status.AtProvider.Message; m != "" {
		return m
	}
	if c := b.GetCondition(xpv2.TypeSynced); c.Status == corev1.ConditionFalse {
		return c.Message
	}
	return b.GetCondition(xpv2.TypeReady).Message
}

// writeStatus writes the status when it changed.
func (r *reconciler) writeStatus(ctx context.Context, s *v1alpha1.BackupSchedule, orig *v1alpha1.BackupScheduleStatus) error {
	if equalStatus(orig, &s.Status) {
		return nil
	}
	return errors.Wrapf(r.kube.Status().Update(ctx, s), errStatus, s.GetName())
}

func equalStatus(a, b *v1alpha1.BackupScheduleStatus) bool {
	return a.ConditionedStatus.Equal(&b.ConditionedStatus) &&
		timeEqual(a.LastScheduleTime, b.LastScheduleTime) && timeEqual(a.NextScheduleTime, b.NextScheduleTime) &&
		a.LastBackup == b.LastBackup && a.Active == b.Active
}

func timeEqual(a, b *metav1.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Time.Truncate(time.Second).Equal(b.Time.Truncate(time.Second))
}

// limit is a history limit, or def when unset.
func limit(v *int32, def int) int {
	if v == nil {
		return def
	}
	return int(*v)
}
