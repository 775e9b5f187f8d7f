package backupschedule_test

import (
	"os"
	"testing"

	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// TestMain stops the API server that the package's tests share
// (testenv.Shared) once they ended.
func TestMain(m *testing.M) {
	os.Exit(testenv.RunShared(m))
}
