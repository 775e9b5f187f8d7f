package databaseinstance

import (
	"fmt"
	"os"
	"testing"

	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// TestMain stops the API server that the package's tests share
// (testenv.Shared) once they ended, and removes the dbaas-watchdog that
// they built when `make build` had not (watchdogBinary).
func TestMain(m *testing.M) {
	code := testenv.RunShared(m)
	if err := removeWatchdogBuild(); err != nil {
		fmt.Fprintln(os.Stderr, "cannot remove the dbaas-watchdog the tests built:", err)
		code = 1
	}
	os.Exit(code)
}
