package databaseinstance

import (
	"context"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
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

// switchover makes the member that should be the primary (e.inst) the
// primary when it is still a replica, and turns any other member that is
// not a standby (a former primary) into a replica. Every step is recorded
// on disk (a stopped server, standby.signal removed by the promotion,
// written by the rejoin), so a switchover cut short is finished by the next
// reconcile. It is manual: nothing here runs unless the spec names a
// replica as the primary.
func (e *external) switchover(ctx context.Context) error {
	if e.inst.Initialized() && e.inst.IsStandby() {
		if err := e.promote(ctx); err != nil {
			return err
		}
	}
	for _, r := range e.replicas {
		if !r.inst.Initialized() || r.inst.IsStandby() {
			continue
		}
		// pg_rewind reads from the new primary, which must run.
		if err := e.inst.Start(ctx); err != nil {
			return errors.Wrapf(err, errStartNew, e.vm)
		}
		if err := r.inst.Rejoin(ctx, e.inst, e.password); err != nil {
			return errors.Wrapf(err, errRejoin, r.vm)
		}
	}
	return nil
}

// promote stops the current primary cleanly, so that its last WAL reaches
// the replicas, waits until the successor replayed it and promotes the
// successor. A running primary is only stopped when the successor streams
// from it: otherwise the instance would be left without a primary.
func (e *external) promote(ctx context.Context) error {
	for _, old := range e.replicas {
		if !old.inst.Initialized() || old.inst.IsStandby() {
			continue
		}
		if old.inst.Running() {
			snd, err := old.inst.Senders(ctx, e.password)
			if err != nil {
				return errors.Wrapf(err, errOldSenders, old.vm)
			}
			if snd.ByName[e.vm].State != streaming {
				return errors.Errorf(errSuccessor, e.vm, old.vm)
			}
			if err := old.inst.Stop(ctx); err != nil {
				return errors.Wrapf(err, errStopOld, old.vm)
			}
		}
		lsn, err := old.inst.CheckpointLSN(ctx)
		if err != nil {
			return errors.Wrapf(err, errCheckpoint, old.vm)
		}
		if err := e.inst.Start(ctx); err != nil {
			return errors.Wrapf(err, errStartNew, e.vm)
		}
		if err := e.inst.WaitReplayed(ctx, e.password, lsn, catchUpDeadline); err != nil {
			return errors.Wrapf(err, errCatchUp, e.vm)
		}
	}
	if err := e.inst.Start(ctx); err != nil {
		return errors.Wrapf(err, errStartNew, e.vm)
	}
	return errors.Wrap(e.inst.Promote(ctx, e.password), errPromote)
}
