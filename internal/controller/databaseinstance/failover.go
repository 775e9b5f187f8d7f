package databaseinstance

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

const (
	// AnnotationEpoch records the instance's fencing epoch: a JSON
	// epochRecord, written with the instance's resourceVersion before any
	// replica is promoted, so that of two providers only one promotes.
	AnnotationEpoch = "engine.dbaas.io/fencing-epoch"
	// AnnotationPrimaryDownSince is when the wait before a failover
	// started (RFC 3339): when a look last saw the primary answer, or when
	// the provider first saw it not answering (see unseenSince), so that
	// the wait survives provider restarts.
	AnnotationPrimaryDownSince = "engine.dbaas.io/primary-down-since"
	// annotationSyncMembers are the replicas that counted for commits
	// (sync_state sync or quorum) when the primary was last seen, which a
	// failover prefers among replicas equally advanced.
	annotationSyncMembers = "engine.dbaas.io/primary-down-sync-members"

	defaultFailoverAfter = 10 * time.Second
	minFailoverAfter     = 2 * time.Second
	// downRecheck is how soon an instance whose primary does not answer is
	// looked at again, unless its failover wait ends sooner.
	downRecheck = time.Second
	// minRecheck is the shortest requeue: a requeue of zero would be none.
	minRecheck = 20 * time.Millisecond

	reasonFailedOver event.Reason         = "FailedOver"
	reasonPromoted   xpv2.ConditionReason = "PromotedReplica"

	errEpochAnnotation = "cannot read annotation " + AnnotationEpoch
	errRecordEpoch     = "cannot record fencing epoch %d before promoting %s"
	errRecordDown      = "cannot record that the primary stopped answering"
	errNoCandidate     = "primary %s stopped answering %s ago, but no replica answers to be promoted"
	errFence           = "cannot fence the former primary on %s"
	errParseDownSince  = "cannot parse annotation " + AnnotationPrimaryDownSince

	// Failover steps a test can interrupt.
	stepEpochRecorded = "epoch-recorded"
	stepPromoted      = "promoted"
)

// An epochRecord is the latest promotion: its epoch, the member it made the
// primary and, for a failover, what the provider saw. It also carries when
// the latest failover and the latest switchover were recorded, each record
// copying the other's time from the one before: the annotation is written
// before the promotion with the instance's resourceVersion, so the times
// survive a provider killed right after, which a status write might not.
type epochRecord struct {
	Epoch        int64        `json:"epoch"`
	Primary      string       `json:"primary"`
	Failover     bool         `json:"failover,omitempty"`
	Message      string       `json:"message,omitempty"`
	FailoverAt   *metav1.Time `json:"failoverAt,omitempty"`
	SwitchoverAt *metav1.Time `json:"switchoverAt,omitempty"`
}

func readEpoch(o metav1.Object) (epochRecord, error) {
	var r epochRecord
	v := o.GetAnnotations()[AnnotationEpoch]
	if v == "" {
		return r, nil
	}
	return r, errors.Wrap(json.Unmarshal([]byte(v), &r), errEpochAnnotation)
}

func failoverEnabled(p v1alpha1.DatabaseInstanceParameters) bool {
	if p.Topology != v1alpha1.TopologyPrimary {
		return false
	}
	return p.Failover == nil || p.Failover.Enabled == nil || *p.Failover.Enabled
}

func failoverAfter(p v1alpha1.DatabaseInstanceParameters) time.Duration {
	if p.Failover == nil || p.Failover.After == nil {
		return defaultFailoverAfter
	}
	return max(p.Failover.After.Duration, minFailoverAfter)
}

// downSince is when the primary was first seen not answering, if it was.
func downSince(o metav1.Object) (time.Time, bool, error) {
	v, ok := o.GetAnnotations()[AnnotationPrimaryDownSince]
	if !ok {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	return t, err == nil, errors.Wrap(err, errParseDownSince)
}

// pollWhileDown has an instance whose primary does not answer looked at
// every second rather than at the poll interval, and again the moment its
// failover wait ends, so that the failover starts then rather than up to a
// second later. So is an instance whose status does not show yet the
// primary its spec names: the reconcile that switched over wrote the status
// it read before, and the next look would otherwise wait a whole poll.
func pollWhileDown(mg resource.Managed, d time.Duration) time.Duration {
	return pollAt(mg, d, time.Now())
}

// pollAt is pollWhileDown at the time now.
func pollAt(mg resource.Managed, d time.Duration, now time.Time) time.Duration {
	if d <= minRecheck {
		return d
	}
	cr, isInstance := mg.(*v1alpha1.DatabaseInstance)
	if since, tracked, err := downSince(mg); tracked && err == nil && isInstance {
		// The look that finds the wait over decides; one that comes
		// earlier only finds it not over yet.
		if left := since.Add(failoverAfter(cr.Spec.ForProvider)).Sub(now); left > 0 {
			return min(d, downRecheck, max(left, minRecheck))
		}
	}
	if d <= downRecheck {
		return d
	}
	if _, ok := mg.GetAnnotations()[AnnotationPrimaryDownSince]; ok {
		return downRecheck
	}
	if !isInstance {
		return d
	}
	if switching(cr) {
		return downRecheck
	}
	// A primary with failover is looked at twice per failover wait: a
	// primary that dies right after a look is then noticed within half
	// the wait, not a whole poll interval later.
	if failoverEnabled(cr.Spec.ForProvider) {
		return min(d, max(failoverAfter(cr.Spec.ForProvider)/2, downRecheck))
	}
	return d
}

// switching reports whether a primary-and-replicas instance's status names
// another primary than its spec does.
func switching(cr *v1alpha1.DatabaseInstance) bool {
	p := cr.Spec.ForProvider
	if p.Topology != v1alpha1.TopologyPrimary {
		return false
	}
	want := p.Primary
	if want == "" && len(p.VirtualMachines) > 0 {
		want = p.VirtualMachines[0]
	}
	// An instance not observed yet, or whose members are all down, names
	// no primary: the poll interval (or the down-since recheck) applies.
	got := cr.Status.AtProvider.Primary
	return want != "" && got != "" && got != want
}

// writeObject writes cr's metadata and spec with its resourceVersion: it
// fails with a conflict when anyone changed the instance since it was read.
// The status the reconcile has built so far is kept.
func (e *external) writeObject(ctx context.Context, cr *v1alpha1.DatabaseInstance) error {
	st := cr.Status.DeepCopy()
	err := e.kube.Update(ctx, cr)
	cr.Status = *st
	return err
}

// trackPrimary records when the primary stopped answering, or forgets it
// once it answers again, and reports how long it has not answered. Only a
// primary that answered when last observed (as the instance's status
// recorded it) starts being tracked, from when a look last saw it answer
// (last, see unseenSince), or else from lookedAt: when the look that first
// found it not answering began, not when that look ended, which on a
// loaded machine or over SSH is a good part of a second later. That look
// itself then counts the primary down only from seenAt, when its snapshot
// was complete: a look over SSH can take longer than failover.after, and
// the primary may have answered at its start. reached says whether the
// provider can fence the primary. Either record is written as a decision
// (see writeDecision).
func (e *external) trackPrimary(ctx context.Context, cr *v1alpha1.DatabaseInstance, ready, reached bool, last sighting, lookedAt, seenAt time.Time) (time.Duration, bool, error) {
	since, tracked, err := downSince(cr)
	if err != nil {
		return 0, false, err
	}
	if ready || !failoverEnabled(cr.Spec.ForProvider) {
		if !tracked && cr.GetAnnotations()[annotationSyncMembers] == "" {
			return 0, false, nil
		}
		return 0, false, errors.Wrap(e.writeDecision(ctx, cr, answersRecord()), errRecordDown)
	}
	if tracked {
		return time.Since(since), true, nil
	}
	// Only a primary that answered when last observed has stopped
	// answering; one being created or started has not yet. So has not a
	// primary the spec names on a machine that is off, which is no reason
	// to replace the one that runs.
	vm := e.primaryMember().vm
	seen := lastSeen(cr, vm)
	if !seen.Answered {
		return 0, false, nil
	}
	since, sighted := unseenSince(last, vm, lookedAt, failoverAfter(cr.Spec.ForProvider), reached)
	err = e.writeDecision(ctx, cr, downRecord(vm, since, seen))
	if !sighted {
		since = seenAt
	}
	return time.Since(since), true, errors.Wrap(err, errRecordDown)
}

// policy is what the failover decision takes from the instance besides
// the snapshot. A primary fences itself when the last look saw its
// watchdog running (status.atProvider.members[].watchdog); without one,
// a primary the provider cannot reach is never replaced.
func policy(cr *v1alpha1.DatabaseInstance) failoverPolicy {
	p := cr.Spec.ForProvider
	return failoverPolicy{
		Enabled:     failoverEnabled(p),
		After:       failoverAfter(p),
		Synced:      strings.Split(cr.GetAnnotations()[annotationSyncMembers], ","),
		SelfFencing: watchdogRecorded(cr, primaryFirst(p)[0]),
		FenceAfter:  fenceAfter(p),
	}
}

// failover promotes the replica Observe's failoverDecision chose in place
// of a primary that has not answered for failover.after. It reports
// whether it did, or
// whether the decision is to leave everything as it is; when no replica
// can take over, the caller starts the primary again. It first records
// the next epoch and names the replica in spec.forProvider.primary, in
// one write with the
// instance's resourceVersion: a provider that read the instance before
// another one wrote it fails here and promotes nothing. Everything after
// is the switchover the spec now asks for, driven by that record: the
// former primary is fenced before the replica is promoted, and rejoins as
// a replica on the next pass.
func (e *external) failover(ctx context.Context, cr *v1alpha1.DatabaseInstance) (bool, error) {
	// The members are not asked again: the snapshot Observe decided on
	// was taken a moment ago, past failover.after, so the replicas have
	// had that long to receive all the former primary sent, and the
	// candidate is the most advanced one still (position counts what it
	// received, not only what it replayed). Asking again took a good part
	// of a second on a loaded machine, with the instance writable nowhere.
	// A candidate that stopped answering since fails the promotion, as
	// one that stopped right after a second look would.
	snap, d := e.seen, e.next
	switch d.Action {
	case actPromote:
	case actRefuse:
		// Nothing is to be promoted, and the primary cannot be started
		// again either.
		return true, nil
	default:
		return false, nil
	}
	cand := snap.Members[d.Promote].VM
	now := metav1.Now()
	rec := epochRecord{
		Epoch: e.rec.Epoch + 1, Primary: cand, Failover: true,
		Message:    d.Message,
		FailoverAt: &now, SwitchoverAt: e.rec.SwitchoverAt,
	}
	began := time.Now()
	if err := e.recordFailover(ctx, cr, rec); err != nil {
		return false, errors.Wrapf(err, errRecordEpoch, rec.Epoch, cand)
	}
	e.phases.took("epoch-write", began)
	e.rec = rec
	if err := e.step(ctx, stepEpochRecorded); err != nil {
		return true, err
	}
	former := e.primaryMember().vm
	e.setPrimary(cand)
	// This pass fences the former primary and promotes the replica, and
	// no more: Update then returns, and the connection secret names the
	// new primary at once. The former primary's rejoin and, for async,
	// the other replicas' move to the new primary take seconds, which
	// writers would otherwise wait for; the next pass does them, as it
	// would after a provider stopped here. A sync instance's replicas
	// are moved while the new primary is promoted: they stream from it
	// as a standby first and follow its promotion, so that one counts
	// for its commits as soon as it takes them.
	var g errgroup.Group
	g.Go(func() error {
		defer e.phases.took("promotion", time.Now())
		return e.promote(ctx, cr)
	})
	g.Go(func() error {
		defer e.phases.took("move-followers", time.Now())
		// Best effort: ensureReplicated moves them again on the next pass,
		// and reports what fails there.
		_ = e.moveFollowers(ctx, cr)
		return nil
	})
	if err := g.Wait(); err != nil {
		return true, err
	}
	e.recordPromotion(cr, former)
	e.phases.took("failover-pass", began)
	e.logger().Debug("Failed over: the promoting pass's steps (the connection secret is published after them)",
		append([]any{"instance", cr.GetNamespace() + "/" + cr.GetName(), "epoch", rec.Epoch, "primary", cand,
			"down-for", e.primaryDown.Round(time.Millisecond).String()}, e.phases.keysAndValues()...)...)
	return true, nil
}

// recordFailover records rec, a failover's next epoch, names its primary
// in spec.forProvider.primary and ends the wait, in one write with the
// instance's resourceVersion (see writeDecision).
func (e *external) recordFailover(ctx context.Context, cr *v1alpha1.DatabaseInstance, rec epochRecord) error {
	d, err := failoverRecord(rec, e.decidedOn)
	if err != nil {
		return err
	}
	return e.writeDecision(ctx, cr, d)
}

// moveFollowers points the replicas that streamed from the former primary
// at a new primary of a sync instance, in the pass that promotes it and
// while it is promoted: its commits wait until one of them streams from it,
// and the next pass would move them only after it observed every member
// again. Their slots come first, made while the new primary may still be a
// standby (a standby keeps physical slots through its promotion): a
// replica that asks for a slot its upstream lacks is refused, and tries
// again only after wal_retrieve_retry_interval. A replica that streams
// from the new primary before its promotion follows it onto its new
// timeline. An async primary takes writes without them, and the secret
// names it sooner without this step: the next pass moves them, and
// rejoins the former primary in either mode.
func (e *external) moveFollowers(ctx context.Context, cr *v1alpha1.DatabaseInstance) error {
	p := cr.Spec.ForProvider
	if syncQuorum(p) == 0 {
		return nil
	}
	primary := member{vm: e.primaryMember().vm, inst: e.primaryMember().inst}
	// A standby cannot change the replication role's password; the
	// replicas are moved all the same, and the next pass, on the primary,
	// puts it right.
	began := time.Now()
	err := errors.Wrap(primary.inst.EnsureReplication(ctx, e.password, e.replPassword, slots(e.replicas(), p), false), errEnsureRepl)
	e.phases.took("followers-slots", began)
	for _, r := range e.replicas() {
		if !e.followedFormer(ctx, r) {
			continue
		}
		began = time.Now()
		if cerr := e.configure(ctx, r, replicaSettings(r, primary, p)); cerr != nil {
			return cerr
		}
		e.phases.took("follower-"+r.vm, began)
	}
	return err
}

// followedFormer reports whether a replica followed the former primary,
// from the snapshot the failover decided on when that snapshot asked it: a
// replica that answered as a standby and was not fenced (only the former
// primary was fenced since, and it was no standby). One the snapshot did
// not ask is asked now.
func (e *external) followedFormer(ctx context.Context, r member) bool {
	if s, ok := stateOf(e.seen, r.vm); ok && s.Reachable {
		return r.off == "" && s.Initialized && s.Standby && !s.Fenced
	}
	return follows(ctx, r)
}

// syncCommits writes the settings of a new primary of a sync instance
// before it is promoted, which Promote has it read before it leaves
// recovery. A replica runs without synchronous_standby_names, so the
// promoted one would otherwise acknowledge commits no replica has until
// the next pass configures it as the primary, and a second failure then
// would lose them. Its first commit waits until a replica streams from
// it. A restart the settings may also want is the next pass's. It reports
// whether it wrote them (a sync instance), so that Promote reloads them:
// with or without changes, as a pass that wrote them may have ended
// before any reload.
func (e *external) syncCommits(ctx context.Context, cr *v1alpha1.DatabaseInstance) (bool, error) {
	p := cr.Spec.ForProvider
	if syncQuorum(p) == 0 {
		return false, nil
	}
	primary := member{vm: e.primaryMember().vm, inst: e.primaryMember().inst}
	_, err := primary.inst.Configure(ctx, primarySettings(primary, e.replicas(), p))
	return err == nil, errors.Wrapf(err, errConfigMember, primary.vm)
}

// recordPromotion has the status say what a failover's promotion did, with
// the secret that names the new primary, not only once the next pass has
// observed it: the new primary and where it is reached, the replicas'
// endpoints, the epoch, and the members' roles (see promotedMembers).
func (e *external) recordPromotion(cr *v1alpha1.DatabaseInstance, former string) {
	ap := &cr.Status.AtProvider
	ap.Primary, ap.Endpoint, ap.Port = e.primaryMember().vm, memberHost(e.primaryMember().inst), e.primaryMember().inst.Port
	ap.FencingToken, ap.LastFailoverTime = e.rec.Epoch, e.rec.FailoverAt
	ap.ReadOnlyEndpoints = nil
	for _, r := range e.replicas() {
		ap.ReadOnlyEndpoints = append(ap.ReadOnlyEndpoints, hostPort(r.inst))
	}
	ap.Members = promotedMembers(ap.Members, former, e.primaryMember().vm)
}

// setPrimary makes the member on vm the primary; the members keep their
// order.
func (e *external) setPrimary(vm string) {
	if n := slices.IndexFunc(e.members, func(m member) bool { return m.vm == vm }); n >= 0 {
		e.primary = n
	}
}

// recordSwitchover records the next epoch for a manual switchover to the
// member that should be the primary, unless the latest record names it
// (see writeDecision).
func (e *external) recordSwitchover(ctx context.Context, cr *v1alpha1.DatabaseInstance) error {
	if e.rec.Primary == e.primaryMember().vm {
		return nil
	}
	now := metav1.Now()
	rec := epochRecord{Epoch: e.rec.Epoch + 1, Primary: e.primaryMember().vm, FailoverAt: e.rec.FailoverAt, SwitchoverAt: &now}
	d, err := switchoverRecord(rec)
	if err == nil {
		err = e.writeDecision(ctx, cr, d)
	}
	if err != nil {
		return errors.Wrapf(err, errRecordEpoch, rec.Epoch, e.primaryMember().vm)
	}
	e.rec = rec
	return nil
}

// failedOver reports a completed failover promotion.
func (e *external) failedOver(cr *v1alpha1.DatabaseInstance) {
	cr.SetConditions(failoverCondition(e.rec, metav1.Now()))
	if e.record != nil {
		e.record.Event(cr, event.Normal(reasonFailedOver, e.rec.Message))
	}
}

func (e *external) step(ctx context.Context, name string) error {
	if e.hooks.failoverStep == nil {
		return nil
	}
	return e.hooks.failoverStep(ctx, name)
}
