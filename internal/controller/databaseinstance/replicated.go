package databaseinstance

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	kerrors "k8s.io/apimachinery/pkg/util/errors"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

const (
	errAllowRepl     = "cannot allow replication on the primary"
	errEnsureRepl    = "cannot set up replication on the primary"
	errPassfile      = "cannot write the replication password file of %s"
	errInitReplica   = "cannot make replica %s"
	errStartMember   = "cannot start the member on %s"
	errApplyMember   = "cannot apply the configuration of the member on %s"
	errConfigMember  = "cannot configure the member on %s"
	errStatusMember  = "cannot get the status of the member on %s"
	errSendersStatus = "cannot read the primary's replication status"
	errMemberDown    = "the member on %s is down: %s"
	errPrimaryDied   = "primary %s stopped running after it was observed; it is not restarted here, so that the next observation can wait out failover.after and fail over"

	// streaming is pg_stat_replication.state of a replica that keeps up.
	streaming = "streaming"
)

// ensureReplicated brings a primary and its replicas to the spec, changing
// only what is missing: a switchover when the spec names a replica as the
// primary, the primary's settings, pg_hba line, replication
// user and slots, then each replica's copy, password file and settings.
// Every member is started, or reloaded or restarted for changed settings.
// A member whose machine is off is left alone and named in the error,
// after the others are set up; a primary whose machine is off leaves
// nothing to set up.
func (e *external) ensureReplicated(ctx context.Context, cr *v1alpha1.DatabaseInstance) error {
	p := cr.Spec.ForProvider
	if e.primaryMember().off != "" {
		return errors.Errorf(errMemberDown, e.primaryMember().vm, e.primaryMember().off)
	}
	primary := member{vm: e.primaryMember().vm, inst: e.primaryMember().inst}
	if primaryDiedSinceObserve(p, e.primaryAnswered, running(ctx, e.primaryMember().inst)) {
		return errors.Errorf(errPrimaryDied, e.primaryMember().vm)
	}
	rejoining, err := e.switchover(ctx, cr)
	if err != nil {
		return err
	}
	hbaChanged, err := e.primaryMember().inst.AllowReplication(ctx)
	if err != nil {
		return errors.Wrap(err, errAllowRepl)
	}
	successor, err := e.configurePrimary(ctx, primary, primarySettings(primary, e.replicas(), p))
	if err != nil {
		return err
	}
	if err := e.removeDeparting(ctx); err != nil {
		return err
	}
	if err := e.primaryMember().inst.EnsureReplication(ctx, e.password, e.replPassword, slots(e.replicas(), p), hbaChanged); err != nil {
		return errors.Wrap(err, errEnsureRepl)
	}
	// The roles are made before any replica is copied, so that every
	// replica has them from its base backup on.
	if err := e.ensureRoles(ctx, cr); err != nil {
		return err
	}
	var errs []error
	for _, r := range setupOrder(e.replicas(), rejoining) {
		if r.off != "" {
			// Its slot stays on the primary, so that it catches up once its
			// machine is back.
			errs = append(errs, errors.Errorf(errMemberDown, r.vm, r.off))
			continue
		}
		if rejoining[r.vm] {
			if err := e.rejoin(ctx, r); err != nil {
				// A former primary that could not rejoin stays fenced; the
				// others are still set up.
				errs = append(errs, err)
				continue
			}
		}
		slot := ""
		if useSlots(p) {
			slot = postgresql.SlotName(r.vm)
		}
		if err := r.inst.InitReplica(ctx, e.primaryMember().inst.Host, e.primaryMember().inst.Port, slot, e.replPassword); err != nil {
			return errors.Wrapf(err, errInitReplica, r.vm)
		}
		// A replication password that changed reaches the replica's next
		// connection to the primary through this file.
		if _, err := r.inst.WritePassFile(ctx, e.replPassword); err != nil {
			return errors.Wrapf(err, errPassfile, r.vm)
		}
		if err := e.configure(ctx, r, replicaSettings(r, primary, p)); err != nil {
			return err
		}
		// Setting up a replica takes a while: the primary's watchdog,
		// which may count no replica streaming meanwhile, hears from the
		// provider after each one.
		e.renew(ctx, e.primaryMember())
	}
	// The watchdogs start once every member is set up, with replicas
	// that stream and reply, so that a primary being created does not
	// fence itself while its replicas are copied.
	for _, m := range e.members {
		if err := e.ensureWatchdog(ctx, m); err != nil {
			errs = append(errs, err)
		}
	}
	if err := kerrors.NewAggregate(errs); err != nil || successor == "" {
		return err
	}
	// The replicas run with the new settings: the primary's restart rolls
	// over to one of them.
	return e.rollOver(ctx, cr, successor)
}

// configure writes a member's settings and starts it, or has a running
// member take up what changed.
func (e *external) configure(ctx context.Context, m member, s postgresql.Settings) error {
	changed, err := m.inst.Configure(ctx, s)
	if err != nil {
		return errors.Wrapf(err, errConfigMember, m.vm)
	}
	if !running(ctx, m.inst) {
		return errors.Wrapf(m.inst.Start(ctx), errStartMember, m.vm)
	}
	return errors.Wrapf(m.inst.Apply(ctx, e.password, changed), errApplyMember, m.vm)
}

// primaryDiedSinceObserve reports whether a primary that answered when
// this reconcile observed it no longer runs, with failover on. Starting it
// again here would race a failover: a primary killed between Observe and
// Update would come back under the same name before the next observation
// could see it down and wait out failover.after.
func primaryDiedSinceObserve(p v1alpha1.DatabaseInstanceParameters, answered, running bool) bool {
	return failoverEnabled(p) && answered && !running
}

// observeReplicated reports every member's role and WAL position and, from
// the primary, each replica's stream. The instance is up to date when every
// member runs in its role with current settings, every replica streams and
// the primary counts the replicas as the replication mode says.
func (e *external) observeReplicated(ctx context.Context, cr *v1alpha1.DatabaseInstance) (managed.ExternalObservation, error) {
	p := cr.Spec.ForProvider
	primary := member{vm: e.primaryMember().vm, inst: e.primaryMember().inst}
	lookedAt := time.Now()
	snap := e.gather(ctx)
	seenAt := time.Now()
	e.phases.took("look", lookedAt)
	// A primary that died while it was asked (a query cut off, its
	// senders unreadable) is down, and tracked from this look: an error
	// would have the look retried only after the controller's back-off.
	// A primary whose machine does not answer stays an error.
	if snap.primary().Err != nil && diedWhileAsked(ctx, e.primaryMember().inst) {
		snap.Members[snap.Primary] = diedState(snap.primary())
		snap.Senders = postgresql.Senders{}
	}
	// A primary whose machine is off is not asked: it is down.
	ps := snap.primary()
	if ps.Err != nil {
		return managed.ExternalObservation{}, ps.Err
	}
	current, why := false, ""
	if e.primaryMember().off == "" {
		var err error
		if current, err = e.primaryMember().inst.Current(ps.Sums, primarySettings(primary, e.replicas(), p)); err != nil {
			return managed.ExternalObservation{}, errors.Wrap(err, errConfig)
		}
	} else {
		why = " (" + e.primaryMember().off + ")"
	}
	e.primaryAnswered = ps.Ready
	snd := snap.Senders
	wantNames := wantSyncNames(p, e.replicas())
	// A slot no replica needs (its machine left the instance) keeps WAL on
	// the primary until it is dropped.
	var notReady []string
	missing := false
	if ps.Ready && !ps.InRecovery {
		var err error
		if missing, err = e.observeRoles(ctx, ps.Roles); err != nil {
			return managed.ExternalObservation{}, err
		}
		if missing {
			notReady = append(notReady, rolesMissing)
		}
	}
	upToDate := ps.Ready && !ps.InRecovery && current && len(ps.PendingRestart) == 0 && snd.SynchronousStandbyNames == wantNames &&
		len(e.departing) == 0 && slices.Equal(snd.Slots, sortedSlots(e.replicas(), p)) && !missing && !e.rolesStale
	last := e.sightings.last(cr.GetUID())
	if ps.Ready {
		e.sightings.saw(cr.GetUID(), sighting{VM: e.primaryMember().vm, At: seenAt})
	}
	down, tracked, err := e.trackPrimary(ctx, cr, ps.Ready, ps.Fenceable, last, lookedAt, seenAt)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	e.decidedOn = policy(cr)
	e.next, e.seen = failoverDecision(snap, tracked, down, e.decidedOn), snap
	if e.primaryMember().cut && e.next.Action != actWait && e.next.Action != actPromote {
		// A primary the provider cannot log in to, and will not replace
		// now, fails the reconcile with the reason, as it always has.
		return managed.ExternalObservation{}, errors.Errorf("%s; %s", e.primaryMember().off, e.next.Message)
	}
	// holding is waiting out failover.after, or a failover refused: the
	// primary is neither restarted nor replaced yet.
	holding := false
	switch {
	case e.next.Action == actWait:
		e.primaryDown, holding = down, true
		notReady = append(notReady, waitMessage(snap, down, failoverAfter(p), why))
	case e.next.Action == actRefuse:
		e.primaryDown, holding = down, true
		notReady = append(notReady, e.next.Message)
	case tracked:
		e.primaryDown = down
		notReady = append(notReady, fmt.Sprintf("primary %s stopped answering %s ago%s; failing over", e.primaryMember().vm, down.Round(100*time.Millisecond), why))
	case !ps.Ready && !failoverEnabled(p) && e.primaryMember().off != "":
		notReady = append(notReady, "primary "+e.primaryMember().vm+" is down: "+e.primaryMember().off+"; failover is disabled")
	case !ps.Ready && !failoverEnabled(p) && initialized(ctx, e.primaryMember().inst):
		notReady = append(notReady, "primary "+e.primaryMember().vm+" is down: it does not answer; failover is disabled")
	case !ps.Ready && ps.Unanswered != "":
		notReady = append(notReady, unansweredNote("primary "+e.primaryMember().vm, ps.Status))
	case !ps.Ready || ps.InRecovery:
		notReady = append(notReady, "primary "+e.primaryMember().vm+" is not running as the primary"+why)
	}

	restoreFailoverCondition(cr, e.rec, ps.Ready && !ps.InRecovery && e.primaryMember().vm == e.rec.Primary)
	ap := v1alpha1.DatabaseInstanceObservation{
		Endpoint:                memberHost(e.primaryMember().inst),
		Port:                    e.primaryMember().inst.Port,
		EngineVersion:           ps.Version,
		Primary:                 e.primaryMember().vm,
		SynchronousStandbyNames: snd.SynchronousStandbyNames,
		FencingToken:            e.rec.Epoch,
		LastFailoverTime:        e.rec.FailoverAt,
		LastSwitchoverTime:      e.rec.SwitchoverAt,
		// The host keys pinned at first contact over SSH stay pinned.
		SSHHostKeys: cr.Status.AtProvider.SSHHostKeys,
		Members: []v1alpha1.Member{{
			VirtualMachine: e.primaryMember().vm, Role: role(ps.Status, v1alpha1.RolePrimary), Address: memberHost(e.primaryMember().inst), Port: e.primaryMember().inst.Port,
			Running: ps.Ready, LSN: ps.LSN, Watchdog: watchdogSeen(cr, e.primaryMember(), ps),
		}},
	}
	upToDate = upToDate && watchdogUp(e.primaryMember(), ps)
	replicaUp, replicaPending := false, false
	for n, r := range e.members {
		if n == e.primary {
			continue
		}
		rs := snap.Members[n]
		m := v1alpha1.Member{VirtualMachine: r.vm, Role: v1alpha1.RoleReplica, Address: memberHost(r.inst), Port: r.inst.Port}
		ap.ReadOnlyEndpoints = append(ap.ReadOnlyEndpoints, hostPort(r.inst))
		if r.off != "" {
			upToDate = false
			notReady = append(notReady, "replica "+r.vm+" is down: "+r.off)
			ap.Members = append(ap.Members, m)
			continue
		}
		if !rs.Initialized {
			upToDate = false
			notReady = append(notReady, "replica "+r.vm+" is not created yet")
			ap.Members = append(ap.Members, m)
			continue
		}
		if rs.Err != nil {
			return managed.ExternalObservation{}, rs.Err
		}
		cur, err := r.inst.Current(rs.Sums, replicaSettings(r, primary, p))
		if err != nil {
			return managed.ExternalObservation{}, errors.Wrap(err, errConfig)
		}
		m.Role, m.Running, m.LSN = role(rs.Status, v1alpha1.RoleReplica), rs.Ready, rs.LSN
		m.Watchdog = watchdogSeen(cr, r, rs)
		upToDate = upToDate && watchdogUp(r, rs)
		replicaPending = replicaPending || len(rs.PendingRestart) > 0
		replicaUp = replicaUp || rs.Ready
		if rs.Fenced {
			notReady = append(notReady, "former primary "+r.vm+" is fenced until it rejoins as a replica")
		}
		s, connected := rs.Sender, rs.Connected
		if connected {
			lag := s.LagBytes
			m.LagBytes, m.Streaming, m.SyncState = &lag, s.State, s.SyncState
		}
		ok := rs.Ready && rs.InRecovery && s.State == streaming
		if !ok {
			notReady = append(notReady, replicaStreamNote(e.primaryMember().cut, rs))
		}
		upToDate = upToDate && ok && cur && len(rs.PendingRestart) == 0 && s.SyncState == wantSyncState(p)
		ap.Members = append(ap.Members, m)
	}
	observeDeparting(ctx, &ap, e.departing)
	ap.RestartStep = restartStep(len(ps.PendingRestart) > 0, replicaPending)
	// The primary is the member that says so, which during a switchover
	// is not yet the one the spec names.
	for _, m := range ap.Members {
		if m.Running && m.Role == v1alpha1.RolePrimary {
			ap.Primary = m.VirtualMachine
		}
	}
	cr.Status.AtProvider = ap

	switch {
	case len(notReady) == 0:
		cr.SetConditions(xpv2.Available())
	case ps.Ready || replicaUp:
		// The primary takes writes, or replicas still serve reads while a
		// primary that stopped answering is waited for or replaced: the
		// instance is degraded, not being created, and says which member
		// lacks.
		cr.SetConditions(xpv2.Unavailable().WithMessage(strings.Join(notReady, "; ")))
	default:
		cr.SetConditions(xpv2.Creating().WithMessage(strings.Join(notReady, "; ")))
	}
	return managed.ExternalObservation{
		ResourceExists: true,
		// While it waits out failover.after nothing is to be done: the
		// primary is neither restarted nor replaced.
		ResourceUpToDate:  upToDate || holding,
		ConnectionDetails: e.connectionDetails(),
	}, nil
}

// diedWhileAsked reports whether a member's machine answers and says that
// its server no longer runs.
func diedWhileAsked(ctx context.Context, inst *postgresql.Instance) bool {
	ok, err := inst.Running(ctx)
	return err == nil && !ok
}

// diedState is what a member whose server died while it was asked shows:
// its machine answers, its server does not.
func diedState(m memberState) memberState {
	m.Reachable, m.Err, m.Status = true, nil, postgresql.Status{}
	return m
}

// role is what a member that answers says it is; a member that does not
// answer keeps the role it is meant to have.
func role(s postgresql.Status, want string) string {
	switch {
	case !s.Ready:
		return want
	case s.InRecovery:
		return v1alpha1.RoleReplica
	default:
		return v1alpha1.RolePrimary
	}
}

// hostPort is where clients reach the member's server: its machine's
// address over SSH, the loopback address on the local backend.
func hostPort(i *postgresql.Instance) string {
	return net.JoinHostPort(memberHost(i), strconv.Itoa(int(i.Port)))
}

// memberHost is the address the member's server listens on and is reached
// at.
func memberHost(i *postgresql.Instance) string {
	if i.Host == "" {
		return postgresql.Address
	}
	return i.Host
}
