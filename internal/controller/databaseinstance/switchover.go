package databaseinstance

import (
	"context"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"golang.org/x/sync/errgroup"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

const (
	errSuccessor    = "cannot switch over to %s: it is not streaming from the primary on %s"
	errStopOld      = "cannot stop the former primary on %s"
	errCheckpoint   = "cannot read the former primary's last checkpoint on %s"
	errCatchUp      = "replica %s has not replayed the former primary's last record"
	errStartNew     = "cannot start the member on %s to promote it"
	errPromote      = "cannot promote replica"
	errRejoin       = "cannot bring the former primary on %s back as a replica"
	errOldSenders   = "cannot read replication status of the primary on %s"
	catchUpDeadline = 30 * time.Second
)

// switchover makes the member that should be the primary (e.primaryMember()) the
// primary when it is still a replica, and reports the other members that
// must rejoin as replicas: those that are not standbys (a former primary)
// or are fenced. Every step is recorded (the epoch in the instance's
// annotation before anything is promoted, the fence and a stopped server
// on disk, standby.signal removed by the promotion, written by the
// rejoin), so a switchover or failover cut short is finished by the next
// reconcile. The rejoins are ensureReplicated's, after the replicas that
// stream are moved (see setupOrder).
func (e *external) switchover(ctx context.Context, cr *v1alpha1.DatabaseInstance) (map[string]bool, error) {
	if initialized(ctx, e.primaryMember().inst) && markedStandby(ctx, e.primaryMember().inst) {
		if err := e.promote(ctx, cr); err != nil {
			return nil, err
		}
	}
	rejoining := map[string]bool{}
	for _, r := range e.replicas() {
		// A member whose machine is off rejoins once it is back; its fence
		// keeps it from starting as a primary meanwhile.
		if r.off != "" || !initialized(ctx, r.inst) || follows(ctx, r) {
			continue
		}
		rejoining[r.vm] = true
	}
	return rejoining, nil
}

// follows reports whether a replica needs only to be pointed at the
// primary: its machine is on and it holds a standby's copy, not fenced.
// Any other member that holds data (a former primary, a fenced member)
// must rejoin.
func follows(ctx context.Context, r member) bool {
	return r.off == "" && initialized(ctx, r.inst) && markedStandby(ctx, r.inst) && !r.inst.IsFenced(ctx)
}

// rejoin brings a former primary, or a fenced member, back as a replica of
// the primary: rewound with pg_rewind, or copied afresh when what it holds
// cannot be rewound, still fenced until the copy is complete.
func (e *external) rejoin(ctx context.Context, r member) error {
	// pg_rewind reads from the new primary, which must run.
	if err := e.primaryMember().inst.Start(ctx); err != nil {
		return errors.Wrapf(err, errStartNew, e.primaryMember().vm)
	}
	err := r.inst.Rejoin(ctx, e.primaryMember().inst, e.password)
	var rw *postgresql.RewindError
	if errors.As(err, &rw) {
		err = r.inst.Discard(ctx)
	}
	return errors.Wrapf(err, errRejoin, r.vm)
}

// setupOrder is the order in which ensureReplicated sets up the replicas:
// those that only follow the new primary first, then those that must
// rejoin, each group in the members' order. After a failover of a sync
// instance the new primary's commits wait until a replica streams from it;
// moving a streaming replica takes a reload, while rewinding the former
// primary takes seconds, and a killed one longer (crash recovery first).
func setupOrder(replicas []member, rejoining map[string]bool) []member {
	out := make([]member, 0, len(replicas))
	for _, r := range replicas {
		if !rejoining[r.vm] {
			out = append(out, r)
		}
	}
	for _, r := range replicas {
		if rejoining[r.vm] {
			out = append(out, r)
		}
	}
	return out
}

// formerPrimary reports whether a member other than the one being promoted
// holds data and is not marked a standby: a former primary, to be fenced.
// A failover takes that from the snapshot it decided on, taken in this
// pass, for each member the snapshot could ask: asking again costs two
// commands per member (over SSH a round trip through sudo each), with the
// instance writable nowhere meanwhile. A member the snapshot did not ask
// (its machine off: a local member's files are still on this host's disk)
// is asked now.
func (e *external) formerPrimary(ctx context.Context, m member, failingOver bool) bool {
	if failingOver {
		if s, ok := stateOf(e.seen, m.vm); ok && s.Reachable {
			return s.Initialized && !s.Standby
		}
	}
	return initialized(ctx, m.inst) && !markedStandby(ctx, m.inst)
}

// promote makes e.primaryMember() the primary. For a manual switchover it stops the
// current primary cleanly, so that its last WAL reaches the replicas, and
// waits until the successor replayed it; a running primary is only stopped
// when the successor streams from it, otherwise the instance would be left
// without a primary. For a failover, which the epoch record names, the
// former primary does not answer and is not waited for. Either way the
// epoch is recorded and every former primary fenced before the promotion,
// so that it never takes writes again before it rejoined as a replica.
func (e *external) promote(ctx context.Context, cr *v1alpha1.DatabaseInstance) error {
	failingOver := e.rec.Failover && e.rec.Primary == e.primaryMember().vm
	var olds []member
	for _, old := range e.replicas() {
		if !e.formerPrimary(ctx, old, failingOver) {
			continue
		}
		olds = append(olds, old)
		if failingOver {
			continue
		}
		if running(ctx, old.inst) {
			snd, err := old.inst.Senders(ctx, e.password)
			if err != nil {
				return errors.Wrapf(err, errOldSenders, old.vm)
			}
			if snd.ByName[e.primaryMember().vm].State != streaming {
				return errors.Errorf(errSuccessor, e.primaryMember().vm, old.vm)
			}
			if err := old.inst.Stop(ctx); err != nil {
				return errors.Wrapf(err, errStopOld, old.vm)
			}
		}
		lsn, err := old.inst.CheckpointLSN(ctx)
		if err != nil {
			return errors.Wrapf(err, errCheckpoint, old.vm)
		}
		if err := e.primaryMember().inst.Start(ctx); err != nil {
			return errors.Wrapf(err, errStartNew, e.primaryMember().vm)
		}
		if err := e.primaryMember().inst.WaitReplayed(ctx, e.password, lsn, catchUpDeadline); err != nil {
			return errors.Wrapf(err, errCatchUp, e.primaryMember().vm)
		}
	}
	if err := e.recordSwitchover(ctx, cr); err != nil {
		return err
	}
	// A former primary whose machine is off is fenced too: the fence is a
	// marker on its disk, which the local backend reaches with the machine
	// off, and nothing is started there. It comes back fenced. A failover
	// of a sync instance writes the new primary's settings meanwhile, on
	// another member.
	began := time.Now()
	var g errgroup.Group
	// reload is set when syncCommits wrote the new primary's settings,
	// which it reads as it is promoted; g.Wait orders the write before
	// the read below.
	reload := false
	if failingOver {
		g.Go(func() (err error) {
			defer e.phases.took("new-primary-settings", time.Now())
			reload, err = e.syncCommits(ctx, cr)
			return err
		})
	}
	for _, old := range olds {
		g.Go(func() error {
			defer e.phases.took("fence", time.Now())
			return errors.Wrapf(old.inst.Fence(ctx, e.rec.Epoch), errFence, old.vm)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	e.phases.took("fence-and-new-primary-settings", began)
	began = time.Now()
	if err := e.primaryMember().inst.Start(ctx); err != nil {
		return errors.Wrapf(err, errStartNew, e.primaryMember().vm)
	}
	// The new primary's watchdog, which watched a replica, stops before
	// the promotion and starts again at the end of the pass that moves the
	// replicas (ensureReplicated: this one for a switchover, the next one
	// after a failover), once the replicas stream from the new primary:
	// until they do it would count a primary with no replica and, during
	// the pass's long steps, no heartbeat either, and fence it. Until it
	// runs again the status records none, so the provider does not count
	// on it should the new primary be cut off meanwhile.
	e.renew(ctx, e.primaryMember())
	if err := stopWatchdog(ctx, e.primaryMember()); err != nil {
		return err
	}
	e.phases.took("start-and-stop-watchdog", began)
	began = time.Now()
	if err := e.primaryMember().inst.Promote(ctx, e.password, reload); err != nil {
		return errors.Wrap(err, errPromote)
	}
	e.phases.took("pg-promote", began)
	if failingOver {
		e.failedOver(cr)
	}
	e.countPromotion(cr, failingOver)
	return e.step(ctx, stepPromoted)
}
