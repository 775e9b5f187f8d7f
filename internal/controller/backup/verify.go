package backup

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
)

const (
	msgValid       = "pgbackrest verify found every file of backup %s valid in the store"
	msgInvalid     = "pgbackrest verify found backup %s invalid in the store; do not restore from it (pgBackRest refuses to), take a new full backup: %s"
	msgNotVerified = "backup %s completed after its stanza was last verified; it is verified at the next verify, every %s"
	msgVerifyError = "cannot verify the stanza of backup %s: %v"

	errStopVerify   = "cannot stop the verify of the stanza"
	errStopVerifyOn = "cannot stop the verify of the stanza on VirtualMachine %s"
	errListBackups  = "cannot list the namespace's Backups"

	msgVerifyBound = "%v after %s (the provider's --backup-verify-timeout); it is tried again %s after it started"

	// verifyCommandTimeout bounds starting a verify and looking at one:
	// the verify itself runs on the machine, across reconciles, within
	// options.VerifyTimeout.
	verifyCommandTimeout = 30 * time.Second

	// verifyStopTimeout bounds stopping a verify: pgBackRest's grace
	// after SIGTERM, then SIGKILL, over a slow connection.
	verifyStopTimeout = time.Minute

	// verifyRetry is how soon a stanza whose verify failed (stopped at its
	// bound, or its store down) is verified again, when the interval is
	// longer: its Backups' Verified stays Unknown until then, and six
	// hours is too long to wait for a store back within minutes.
	verifyRetry = 10 * time.Minute
)

// verifications are the provider's last verify of each stanza, shared by
// every Backup of the stanza: verify reads the whole stanza back, so it
// runs once per stanza and interval, not per Backup or per poll. They are
// kept in memory: a provider that restarts verifies each stanza at its
// first look.
type verifications struct {
	mu sync.Mutex
	m  map[string]*verification
}

// verification is one stanza's last finished verify, and the one that
// runs. Its lock is held while a verify is started or looked at, so that
// the stanza's Backups share one verify rather than start another.
type verification struct {
	mu sync.Mutex
	// at is when the last finished verify started: the backups that
	// completed before it are the ones it read.
	at     time.Time
	result pgbackrest.Verification
	err    error
	// started is when the verify that runs was started, zero when none
	// runs; member is the machine it runs on.
	started time.Time
	member  string
}

func (vs *verifications) of(stanza string) *verification {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if vs.m == nil {
		vs.m = map[string]*verification{}
	}
	if vs.m[stanza] == nil {
		vs.m[stanza] = &verification{}
	}
	return vs.m[stanza]
}

// A verifyStep is what a look at a stanza's verify does.
type verifyStep int

const (
	// verifyNothing: the last verify is recent enough.
	verifyNothing verifyStep = iota
	// verifyStart: a verify is due and none runs.
	verifyStart
	// verifyLook: a verify runs; see whether it has finished.
	verifyLook
)

// nextVerifyStep says what a look at a stanza does, given when its running
// verify started (zero: none runs) and when its last finished one did,
// and whether that one failed.
func nextVerifyStep(started, last time.Time, failed bool, now time.Time, every time.Duration) verifyStep {
	switch {
	case !started.IsZero():
		return verifyLook
	case verifyDue(last, now, verifyAfter(failed, every)):
		return verifyStart
	}
	return verifyNothing
}

// verifyAfter is how long after a verify the next one is due: the interval,
// or verifyRetry when the verify failed and that is sooner.
func verifyAfter(failed bool, every time.Duration) time.Duration {
	if failed {
		return min(every, verifyRetry)
	}
	return every
}

// verifyDue says whether a stanza last verified at last (zero: never) is
// verified again now.
func verifyDue(last, now time.Time, every time.Duration) bool {
	return last.IsZero() || now.Sub(last) >= every
}

// verifiedCondition is the Verified condition of the backup label that
// stopped at stopped, after the stanza's last verify at (zero: none) found
// result, or failed with err; and whether the backup is invalid.
func verifiedCondition(label string, stopped, at time.Time, result pgbackrest.Verification, err error, every time.Duration) (xpv2.Condition, bool) {
	c := xpv2.Condition{Type: v1alpha1.TypeVerified, Status: corev1.ConditionUnknown}
	switch {
	case at.IsZero() || at.Before(stopped):
		c.Reason, c.Message = v1alpha1.ReasonNotVerified, fmt.Sprintf(msgNotVerified, label, every)
	case err != nil:
		c.Reason, c.Message = v1alpha1.ReasonVerifyFailed, fmt.Sprintf(msgVerifyError, label, err)
	case result.Invalid[label] != "":
		c.Status, c.Reason, c.Message = corev1.ConditionFalse, v1alpha1.ReasonInvalid, fmt.Sprintf(msgInvalid, label, result.Invalid[label])
		return c, true
	default:
		c.Status, c.Reason, c.Message = corev1.ConditionTrue, v1alpha1.ReasonValid, fmt.Sprintf(msgValid, label)
	}
	return c, false
}

// observeVerified reports a completed backup the store still lists
// (observeCompleted): Available with its Verified condition, verifying its
// stanza first when that is due; a backup the last verify found invalid is
// not Available, with pgBackRest's report in its condition and message. A
// verify that cannot run leaves the backup as it was, with Verified
// Unknown saying why.
func (e *external) observeVerified(ctx context.Context, cr *v1alpha1.Backup) {
	at := &cr.Status.AtProvider
	cr.SetConditions(xpv2.Available())
	if e.instance == nil || e.verifs == nil {
		return
	}
	name, err := backupstore.Stanza(e.instance.GetNamespace(), e.instance.GetName())
	if err != nil {
		return
	}
	v := e.verifs.of(name)
	v.mu.Lock()
	defer v.mu.Unlock()
	every := e.opts.VerifyInterval()
	now := e.now()
	switch nextVerifyStep(v.started, v.at, v.err != nil, now, every) {
	case verifyStart:
		if member, err := e.startVerify(ctx, at.Member); err != nil {
			v.at, v.result, v.err = now, pgbackrest.Verification{}, err
		} else {
			v.started, v.member = now, member
		}
	case verifyLook:
		// A verify that cannot be looked at counts as failed: the next
		// one is due an interval after it started, as after any failure.
		if result, done, err := e.lookVerify(ctx, v.member); done || err != nil {
			if errors.Is(err, pgbackrest.ErrVerifyBound) {
				err = errors.Errorf(msgVerifyBound, err, e.opts.VerifyTimeout(), verifyAfter(true, every))
			}
			v.at, v.result, v.err = v.started, result, err
			v.started, v.member = time.Time{}, ""
		}
	case verifyNothing:
	}
	var stopped time.Time
	if at.StopTime != nil {
		stopped = at.StopTime.Time
	}
	c, invalid := verifiedCondition(at.Label, stopped, v.at, v.result, v.err, every)
	// The CRD requires the time: a condition without it fails the whole
	// status update.
	c.LastTransitionTime = metav1.NewTime(e.now())
	cr.SetConditions(c)
	at.Message = ""
	if invalid {
		at.Message = c.Message
		cr.SetConditions(xpv2.Unavailable().WithMessage(c.Message))
	}
}

// startVerify starts pgbackrest verify on the member the backup was taken
// on, whose configuration names the store as it sees it, or on the primary
// when that member is no longer one; it returns the member it runs on.
func (e *external) startVerify(ctx context.Context, member string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, verifyCommandTimeout)
	defer cancel()
	s, vm, err := e.stanza(ctx, member)
	if err != nil && member != "" {
		s, vm, err = e.stanza(ctx, "")
	}
	if err != nil {
		return "", err
	}
	return vm, s.StartVerify(ctx, e.opts.VerifyTimeout())
}

// lookVerify reports the verify startVerify started on member: whether it
// has finished, and what it found.
func (e *external) lookVerify(ctx context.Context, member string) (pgbackrest.Verification, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, verifyCommandTimeout)
	defer cancel()
	s, _, err := e.stanza(ctx, member)
	if err != nil {
		return pgbackrest.Verification{}, false, err
	}
	return s.VerifyResult(ctx)
}

// stopVerifyWithLast stops the verify of cr's stanza when one runs and cr,
// being deleted, is the last Backup of its instance: the verify then reads
// a stanza nobody looks at any more. With other Backups left it runs on,
// for them; a schedule deleting its oldest Backups would otherwise stop
// every verify before it ends.
func (e *external) stopVerifyWithLast(ctx context.Context, cr *v1alpha1.Backup) error {
	if e.instance == nil || e.verifs == nil {
		return nil
	}
	name, err := backupstore.Stanza(e.instance.GetNamespace(), e.instance.GetName())
	if err != nil {
		// An instance whose name makes no stanza has no verify.
		return nil
	}
	v := e.verifs.of(name)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.started.IsZero() {
		return nil
	}
	if last, err := e.lastBackup(ctx, cr); err != nil || !last {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, verifyStopTimeout)
	defer cancel()
	s, vm, err := e.stanza(ctx, v.member)
	switch {
	case err != nil && vm == "":
		return errors.Wrap(err, errStopVerify)
	case err == nil:
		if err := s.StopVerify(ctx); err != nil {
			return errors.Wrapf(err, errStopVerifyOn, vm)
		}
	}
	// A member that is gone took its runs with it (the instance's removal
	// stops them).
	v.started, v.member = time.Time{}, ""
	return nil
}

// lastBackup reports whether cr is the only Backup of its instance that
// is not being deleted.
func (e *external) lastBackup(ctx context.Context, cr *v1alpha1.Backup) (bool, error) {
	l := &v1alpha1.BackupList{}
	if err := e.kube.List(ctx, l, client.InNamespace(cr.GetNamespace())); err != nil {
		return false, errors.Wrap(err, errListBackups)
	}
	for i := range l.Items {
		b := &l.Items[i]
		if b.GetUID() != cr.GetUID() && b.Spec.ForProvider.Instance == cr.Spec.ForProvider.Instance && !meta.WasDeleted(b) {
			return false, nil
		}
	}
	return true, nil
}
