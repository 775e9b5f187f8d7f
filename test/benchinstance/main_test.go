package benchinstance

import (
	"os"
	"testing"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// TestMain quiets controller-runtime's global logger, which envtest logs
// through and which otherwise complains, with a stack trace, in the middle
// of a result line. Without -bench nothing here starts anything.
func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard())
	os.Exit(m.Run())
}
