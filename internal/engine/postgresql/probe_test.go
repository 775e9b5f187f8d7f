package postgresql

import (
	"context"
	"testing"
)

// The tests ask the engine about a member's files and processes often; these
// helpers fail the test when the engine cannot tell, so that an assertion
// never takes an error for an answer.

func pidOf(t *testing.T, i *Instance) int {
	t.Helper()
	pid, err := i.PID(context.Background())
	if err != nil {
		t.Fatalf("PID: %v", err)
	}
	return pid
}

func running(t *testing.T, i *Instance) bool {
	t.Helper()
	ok, err := i.Running(context.Background())
	if err != nil {
		t.Fatalf("Running: %v", err)
	}
	return ok
}

func standby(t *testing.T, i *Instance) bool {
	t.Helper()
	ok, err := i.IsStandby(context.Background())
	if err != nil {
		t.Fatalf("IsStandby: %v", err)
	}
	return ok
}

func initialized(t *testing.T, i *Instance) bool {
	t.Helper()
	ok, err := i.Initialized(context.Background())
	if err != nil {
		t.Fatalf("Initialized: %v", err)
	}
	return ok
}
