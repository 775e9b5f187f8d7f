package install_test

import (
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/ports"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

const (
	admin = "admin"

	// deadline bounds every wait by condition: generous, since the machine
	// is shared and loaded; it is not an expectation.
	deadline = 90 * time.Second

	// pgBin holds the server programs of PostgreSQL 15.
	pgBin = "/usr/lib/postgresql/15/bin"
)

func freePort(t *testing.T) int32 {
	t.Helper()
	p, err := ports.Free()
	if err != nil {
		t.Fatal(err)
	}
	return int32(p)
}

// waitFor waits until cond holds, failing the test after deadline
// (wait.For, for conditions that have no state to tell).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	wait.For(t, deadline, what, func() (bool, string) { return cond(), "" })
}
