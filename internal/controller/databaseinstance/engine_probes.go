package databaseinstance

import (
	"context"

	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

// The engine reads a member's files through its executor and so can fail to
// tell; these answer as the engine did when it read local files itself, and
// the controller's decisions stay as they were: a member whose marker or
// pid file cannot be read is neither initialized, nor running, nor a
// standby. (A fence that cannot be read still fences: IsFenced says so.)

// initialized reports whether a member's data directory is complete.
func initialized(ctx context.Context, inst *postgresql.Instance) bool {
	ok, err := inst.Initialized(ctx)
	return ok && err == nil
}

// running reports whether a member's server runs.
func running(ctx context.Context, inst *postgresql.Instance) bool {
	ok, err := inst.Running(ctx)
	return ok && err == nil
}

// markedStandby reports whether a member's data directory is marked to start as a
// standby.
func markedStandby(ctx context.Context, inst *postgresql.Instance) bool {
	ok, err := inst.IsStandby(ctx)
	return ok && err == nil
}
