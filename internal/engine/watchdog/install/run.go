package install

import (
	"context"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

// StepNames name the step that runs a daemon: Start where it runs
// detached, Unit (the first of the unit's steps) on a VM.
type StepNames struct {
	Start, Unit string
}

// RunSteps run d as the systemd unit unit on a VM (DaemonSystemdSteps),
// or detached where unit is empty (StartDaemonStep): the machines of the
// local backend and the test hosts have no systemd.
func RunSteps(unit string, n StepNames, d Daemon) []steps.Step {
	if unit != "" {
		return DaemonSystemdSteps(unit, n.Unit, d)
	}
	return []steps.Step{StartDaemonStep(n.Start, d)}
}

// StopRun stops what RunSteps started, if it runs, and removes its unit
// or pid file. Only d's What, Args[0], Mark and PIDFile matter: a stop
// need not know the flags it was started with.
func StopRun(ctx context.Context, e executor.Executor, unit string, d Daemon) error {
	if unit == "" {
		return StopDaemon(ctx, e, d)
	}
	res, err := e.Run(ctx, RemoveUnitScript(unit), nil)
	if err == nil && res.ExitCode != 0 {
		err = ExitError(d.What+"'s stop", res)
	}
	return err
}
