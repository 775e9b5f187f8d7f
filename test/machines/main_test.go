package machines

import (
	"os"
	"testing"

	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// TestMain stops the API server that the package's tests share
// (testenv.Shared) once they ended: starting one per test took a tenth of
// the package's time, and the tests, each in namespaces of its own, run
// side by side.
func TestMain(m *testing.M) {
	os.Exit(testenv.RunShared(m))
}
