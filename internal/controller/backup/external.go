package backup

import (
	"context"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/controller/databaseinstance"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
)

const (
	// Annotations a Create records, since the managed reconciler keeps
	// only annotations of what Create changes: the member the backup runs
	// on, and when it was started.
	annotationMember  = "ops.dbaas.io/backup-member"
	annotationStarted = "ops.dbaas.io/backup-started"

	errInstanceGone   = "DatabaseInstance %s does not exist: nothing can be backed up, and a backup taken before stays in its store; delete this Backup"
	errNotReady       = "DatabaseInstance %s is not Ready yet: the backup starts once it is"
	errNoBackupConfig = "DatabaseInstance %s has no spec.forProvider.backup: set spec.forProvider.backup.store to a BackupStore of this namespace (or a ClusterBackupStore, with storeKind) to back it up"
	errNoArchiving    = "DatabaseInstance %s does not archive WAL into its store yet (its WALArchiving condition is not True: %s); a backup needs it, and starts once it does"
	errNoPrimary      = "DatabaseInstance %s has no primary member to back up"
	errNotMember      = "VirtualMachine %s, where the backup was started, is no member of DatabaseInstance %s any more"
	errStart          = "cannot start the backup on VirtualMachine %s"
	errLook           = "cannot look at the backup on VirtualMachine %s"
	errExpire         = "cannot expire backup %s"
	errStillRunning   = "backup is still running on VirtualMachine %s; it is expired once it ends"

	msgOnlyFull = "backup %s stays in the store: pgBackRest keeps the only full backup of an instance until another full one exists (%s); the store's retention removes it later"
	msgGoneLeft = "backup %s stays in the store: its DatabaseInstance is gone, and expiring it needs one of the instance's machines"

	// pgBackRest's error code for expiring the only full backup.
	codeOnlyFull = "[075]"
)

// reasonLeftInStore is the event of a backup that deleting its Backup
// left in the store.
const reasonLeftInStore event.Reason = "LeftInStore"

type external struct {
	kube   client.Client
	opts   options.Options
	record event.Recorder
	open   openMembers
	now    func() time.Time
	// verifs are the stanzas' last verifies (verify.go).
	verifs *verifications

	// instance is nil when the Backup's instance does not exist.
	instance *enginev1alpha1.DatabaseInstance
	members  []databaseinstance.Member
	close    func()
}

// reach opens the instance's members once per reconcile.
func (e *external) reach(ctx context.Context) error {
	if e.members != nil {
		return nil
	}
	ms, closeFn, err := e.open(ctx, e.kube, e.opts, e.instance)
	if err != nil {
		return err
	}
	e.members, e.close = ms, closeFn
	return nil
}

// stanza is the instance's stanza as seen from the member on vm; the
// instance controller wrote its configuration there. vm "" is the
// primary.
func (e *external) stanza(ctx context.Context, vm string) (*pgbackrest.Stanza, string, error) {
	if err := e.reach(ctx); err != nil {
		return nil, "", err
	}
	name, err := backupstore.Stanza(e.instance.GetNamespace(), e.instance.GetName())
	if err != nil {
		return nil, "", err
	}
	for _, m := range e.members {
		if (vm == "" && m.Role == enginev1alpha1.RolePrimary) || (vm != "" && m.VM == vm) {
			return pgbackrest.New(m.Instance, name, pgbackrest.Repo{}), m.VM, nil
		}
	}
	if vm == "" {
		return nil, "", errors.Errorf(errNoPrimary, e.instance.GetName())
	}
	return nil, vm, errors.Errorf(errNotMember, vm, e.instance.GetName())
}

// Observe reports the backup: Completed once the store lists it (its
// label becomes the external name), Running while pgBackRest runs,
// Pending while another backup holds the stanza, Failed otherwise.
func (e *external) Observe(ctx context.Context, cr *v1alpha1.Backup) (managed.ExternalObservation, error) {
	at := &cr.Status.AtProvider
	label := meta.GetExternalName(cr)
	exists := managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true}
	if deleting(cr, e.instance == nil) {
		return e.observeDeleting(ctx, cr)
	}
	if lookAgain(*at, label) {
		return e.observeCompleted(ctx, cr)
	}
	if label != "" && at.Phase == v1alpha1.BackupExpired {
		// Expired is final; the resource shows why.
		cr.SetConditions(xpv2.Unavailable().WithMessage(at.Message))
		return exists, nil
	}
	if e.instance == nil {
		msg := fmt.Sprintf(errInstanceGone, cr.Spec.ForProvider.Instance)
		if at.Phase != v1alpha1.BackupCompleted {
			at.Phase, at.Message = v1alpha1.BackupFailed, msg
		}
		cr.SetConditions(xpv2.Unavailable().WithMessage(msg))
		return exists, nil
	}
	member := cr.GetAnnotations()[annotationMember]
	if label == "" && member == "" {
		// Never started.
		return managed.ExternalObservation{}, nil
	}
	if label == "" && at.Phase == v1alpha1.BackupFailed {
		// Failed is final; the resource shows why.
		cr.SetConditions(xpv2.Unavailable().WithMessage(at.Message))
		return exists, nil
	}
	s, vm, err := e.stanza(ctx, member)
	if err != nil {
		if label == "" && vm != "" {
			// The member the backup ran on is gone.
			at.Phase, at.Message = v1alpha1.BackupFailed, err.Error()
			cr.SetConditions(xpv2.Unavailable().WithMessage(err.Error()))
			return exists, nil
		}
		return managed.ExternalObservation{}, err
	}
	if label != "" {
		info, err := s.Info(ctx)
		if err != nil {
			return managed.ExternalObservation{}, errors.Wrapf(err, errLook, vm)
		}
		b := findLabel(info, label)
		if b == nil {
			cr.SetConditions(xpv2.Unavailable().WithMessage(fmt.Sprintf(msgNotListed, label)))
			return exists, nil
		}
		completed(cr, *b, vm)
		return exists, nil
	}

	// The process first, then the store: a backup that ends in between
	// is then listed, rather than seen as gone.
	id := string(cr.GetUID())
	run, err := s.BackupRun(ctx, id)
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrapf(err, errLook, vm)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return managed.ExternalObservation{}, errors.Wrapf(err, errLook, vm)
	}
	started, _ := time.Parse(time.RFC3339, cr.GetAnnotations()[annotationStarted])
	v := decide(observed{run: run, found: findAnnotated(info, id), started: started, now: e.now(), id: id, member: vm})
	if v.phase == v1alpha1.BackupFailed {
		v.message = withStoreState(ctx, e.kube, e.instance, v.message)
	}
	at.Phase, at.Message, at.Member = v.phase, v.message, vm
	if !started.IsZero() && at.StartTime == nil {
		at.StartTime = &metav1.Time{Time: started}
	}
	switch v.phase {
	case v1alpha1.BackupCompleted:
		b := findAnnotated(info, id)
		completed(cr, *b, vm)
		meta.SetExternalName(cr, b.Label)
		// The run's files told all they had to.
		_ = s.RemoveBackupRun(ctx, id)
		// The label is written with the resource's metadata now; the
		// status follows at the next look, which finds it by label.
		return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: true, ResourceLateInitialized: true}, nil
	case v1alpha1.BackupFailed:
		cr.SetConditions(xpv2.Unavailable().WithMessage(v.message))
	case v1alpha1.BackupPending:
		cr.SetConditions(xpv2.Unavailable().WithMessage(v.message))
		if v.restart {
			return managed.ExternalObservation{}, nil
		}
	default:
		cr.SetConditions(xpv2.Creating())
	}
	return exists, nil
}

// withStoreState is msg with the Ready message of the instance's store
// when the provider's look finds it not Ready: pgBackRest on the machine
// reports a missing bucket as missing files, which the look names.
func withStoreState(ctx context.Context, kube client.Reader, in *enginev1alpha1.DatabaseInstance, msg string) string {
	b := in.Spec.ForProvider.Backup
	if b == nil {
		return msg
	}
	if s := backupstore.NotReady(ctx, kube, backupstore.InstanceStore(in.GetNamespace(), b)); s != "" {
		return msg + "; " + s
	}
	return msg
}

// completed records the backup b, read from the member on vm.
func completed(cr *v1alpha1.Backup, b pgbackrest.Backup, vm string) {
	at := &cr.Status.AtProvider
	at.Phase, at.Message, at.Label, at.Type = v1alpha1.BackupCompleted, "", b.Label, v1alpha1.BackupType(b.Type)
	if at.Member == "" {
		at.Member = vm
	}
	at.StartTime, at.StopTime = &metav1.Time{Time: b.Start}, &metav1.Time{Time: b.Stop}
	at.StartLSN, at.StopLSN = b.StartLSN, b.StopLSN
	at.SizeBytes, at.RepoSizeBytes = ptr.To(b.Size), ptr.To(b.RepoDelta)
	at.Duration = &metav1.Duration{Duration: b.Stop.Sub(b.Start)}
	cr.SetConditions(xpv2.Available())
}

// Create starts the backup on the instance's primary, or with method
// prefer-standby on a streaming replica (fromStandby), and returns at once.
// The instance must be Ready and archive its WAL into its store; otherwise
// the Backup is not Synced, saying what to change.
func (e *external) Create(ctx context.Context, cr *v1alpha1.Backup) (managed.ExternalCreation, error) {
	if e.instance == nil {
		return managed.ExternalCreation{}, errors.Errorf(errInstanceGone, cr.Spec.ForProvider.Instance)
	}
	if err := startable(e.instance); err != nil {
		return managed.ExternalCreation{}, err
	}
	s, vm, err := e.stanza(ctx, "")
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	var opts []string
	if cr.Spec.ForProvider.Method == v1alpha1.BackupFromPreferStandby {
		if s, vm, opts, err = e.fromStandby(ctx, cr, s, vm); err != nil {
			return managed.ExternalCreation{}, err
		}
	}
	typ := string(cr.Spec.ForProvider.Type)
	if typ == "" {
		typ = pgbackrest.TypeFull
	}
	if err := s.StartBackup(ctx, typ, string(cr.GetUID()), opts...); err != nil {
		return managed.ExternalCreation{}, errors.Wrapf(err, errStart, vm)
	}
	meta.AddAnnotations(cr, map[string]string{annotationMember: vm, annotationStarted: e.now().UTC().Format(time.RFC3339)})
	return managed.ExternalCreation{}, nil
}

// startable says why a backup of the instance cannot start now, if it
// cannot.
func startable(i *enginev1alpha1.DatabaseInstance) error {
	if i.Spec.ForProvider.Backup == nil {
		return errors.Errorf(errNoBackupConfig, i.GetName())
	}
	if i.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue {
		return errors.Errorf(errNotReady, i.GetName())
	}
	if c := i.GetCondition(enginev1alpha1.TypeWALArchiving); c.Status != corev1.ConditionTrue {
		return errors.Errorf(errNoArchiving, i.GetName(), strings.TrimSpace(c.Message+" "+string(c.Reason)))
	}
	return nil
}

// Update does nothing: a Backup's parameters are immutable.
func (e *external) Update(_ context.Context, _ *v1alpha1.Backup) (managed.ExternalUpdate, error) {
	return managed.ExternalUpdate{}, nil
}

// Delete expires the backup from the store; the managed reconciler calls
// it only when the management policies include Delete. pgBackRest also
// expires the diff and incr backups that depend on it. The only full
// backup of an instance, which pgBackRest refuses to expire, stays, with
// an event that says so.
func (e *external) Delete(ctx context.Context, cr *v1alpha1.Backup) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	label := meta.GetExternalName(cr)
	if err := e.stopVerifyWithLast(ctx, cr); err != nil {
		return managed.ExternalDelete{}, err
	}
	if e.instance == nil {
		// Observe reported the backup left in the store (observeDeleting).
		return managed.ExternalDelete{}, nil
	}
	if label == "" {
		if cr.Status.AtProvider.Phase == v1alpha1.BackupRunning {
			return managed.ExternalDelete{}, errors.Errorf(errStillRunning, cr.Status.AtProvider.Member)
		}
		return managed.ExternalDelete{}, nil
	}
	// Observe found the backup in the store, and not as the only full
	// backup, which pgBackRest keeps (observeDeleting).
	s, _, err := e.stanza(ctx, "")
	if err != nil {
		return managed.ExternalDelete{}, err
	}
	if err := s.Expire(ctx, label); err != nil {
		if strings.Contains(err.Error(), codeOnlyFull) {
			e.record.Event(cr, event.Warning(reasonLeftInStore, errors.Errorf(msgOnlyFull, label, err.Error())))
			return managed.ExternalDelete{}, nil
		}
		return managed.ExternalDelete{}, errors.Wrapf(err, errExpire, label)
	}
	return managed.ExternalDelete{}, nil
}

// Disconnect closes the connections to the members.
func (e *external) Disconnect(_ context.Context) error {
	if e.close != nil {
		e.close()
	}
	return nil
}
