package databaseinstance

import (
	"context"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

const (
	errRollSenders  = "cannot read the primary's replication status to roll a restart"
	errRollLimits   = "cannot check whether the primary's new settings lower a standby's limits"
	errRollRecord   = "cannot record the switchover to %s that rolls the restart"
	errRollStreams  = "replica %s does not stream from the primary yet; the restart rolls over to it once it does"
	errRestartPrim  = "cannot restart the primary on %s"
	rollStreamAfter = 30 * time.Second

	// stepRollRecorded is the step of a rolling restart a test can
	// interrupt: the switchover is recorded, nothing promoted yet.
	stepRollRecorded = "roll-recorded"
)

// restartStep is where a rolling restart stands, from whether the primary
// and any replica run with settings that wait for a restart.
func restartStep(primaryPending, replicaPending bool) string {
	switch {
	case primaryPending && replicaPending:
		return v1alpha1.RestartingReplicas
	case primaryPending:
		return v1alpha1.SwitchingOver
	default:
		return ""
	}
}

// configurePrimary writes the primary's settings and starts it, or has it
// take up what changed. A change it can only take up by a restart
// (shared_buffers or max_connections of a larger size) rolls, so that the
// instance keeps taking writes but for one switchover: the replicas are
// restarted first (the rest of ensureReplicated), then one of them takes
// over (rollOver), and the former primary restarts as its replica. It
// returns that replica. Each step is on record for a provider that
// restarts halfway: the primary's pending restart on its server, then the
// switchover in spec.forProvider.primary and the epoch. The primary
// restarts in place when no replica can take over, or when the new
// settings lower a limit a hot standby must keep at least as high as its
// primary's (max_connections and the like): then the replicas cannot
// restart first.
func (e *external) configurePrimary(ctx context.Context, m member, s postgresql.Settings) (string, error) {
	changed, err := m.inst.Configure(ctx, s)
	if err != nil {
		return "", errors.Wrapf(err, errConfigMember, m.vm)
	}
	if !running(ctx, m.inst) {
		return "", errors.Wrapf(m.inst.Start(ctx), errStartMember, m.vm)
	}
	restart, err := m.inst.Reload(ctx, e.password, changed)
	if err != nil || !restart {
		return "", errors.Wrapf(err, errApplyMember, m.vm)
	}
	successor, err := e.rollingSuccessor(ctx)
	if err != nil || successor != "" {
		return successor, err
	}
	return "", errors.Wrapf(m.inst.Restart(ctx), errRestartPrim, m.vm)
}

// rollingSuccessor is the replica a restart of the primary rolls over to:
// the first that streams, else the first that could (its machine is up,
// it has a copy and is not fenced), which rollOver waits for. None when
// the new settings lower a hot standby's limits.
func (e *external) rollingSuccessor(ctx context.Context) (string, error) {
	lowers, err := e.primaryMember().inst.LowersStandbyLimits(ctx, e.password)
	if err != nil {
		return "", errors.Wrap(err, errRollLimits)
	}
	if lowers {
		return "", nil
	}
	snd, err := e.primaryMember().inst.Senders(ctx, e.password)
	if err != nil {
		return "", errors.Wrap(err, errRollSenders)
	}
	var usable []string
	for _, r := range e.replicas() {
		if r.off != "" || !initialized(ctx, r.inst) || r.inst.IsFenced(ctx) {
			continue
		}
		if snd.ByName[r.vm].State == streaming {
			return r.vm, nil
		}
		usable = append(usable, r.vm)
	}
	if len(usable) == 0 {
		return "", nil
	}
	return usable[0], nil
}

// rollOver switches over to successor, whose restart is done, once it
// streams again: it names it in spec.forProvider.primary (with the
// instance's resourceVersion, as a failover does: see writeDecision) and
// runs the switchover that asks for, which stops the former primary
// cleanly, promotes the successor and has the former primary rejoin with
// the new settings.
func (e *external) rollOver(ctx context.Context, cr *v1alpha1.DatabaseInstance, successor string) error {
	deadline := time.Now().Add(rollStreamAfter)
	for {
		snd, err := e.primaryMember().inst.Senders(ctx, e.password)
		if err != nil {
			return errors.Wrap(err, errRollSenders)
		}
		if snd.ByName[successor].State == streaming {
			break
		}
		if time.Now().After(deadline) {
			return errors.Errorf(errRollStreams, successor)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err := e.recordRollOver(ctx, cr, successor); err != nil {
		return err
	}
	if err := e.step(ctx, stepRollRecorded); err != nil {
		return err
	}
	e.setPrimary(successor)
	return e.ensureReplicated(ctx, cr)
}

// recordRollOver names successor in spec.forProvider.primary, with the
// instance's resourceVersion (see writeDecision).
func (e *external) recordRollOver(ctx context.Context, cr *v1alpha1.DatabaseInstance, successor string) error {
	return errors.Wrapf(e.writeDecision(ctx, cr, rollOverRecord(successor)), errRollRecord, successor)
}
