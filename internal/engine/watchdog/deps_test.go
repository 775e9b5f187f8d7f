package watchdog_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// TestDaemonLinksNoProviderPackages guards the size of dbaas-watchdog,
// which the provider copies to every member: it must link neither
// Kubernetes nor crossplane-runtime (whose errors package alone pulls in
// apimachinery and controller-runtime), nor the provider's own packages
// that do, such as the executor and the steps.
func TestDaemonLinksNoProviderPackages(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "./cmd/dbaas-watchdog")
	cmd.Dir = testenv.RepoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/dbaas-watchdog: %v", err)
	}
	forbidden := []string{
		"k8s.io/", "sigs.k8s.io/", "github.com/crossplane/",
		"github.com/dbaas-io/dbaas/apis/", "github.com/dbaas-io/dbaas/internal/clients/", "github.com/dbaas-io/dbaas/internal/engine/steps",
	}
	pkgs := strings.Fields(string(out))
	if len(pkgs) == 0 {
		t.Fatal("go list -deps ./cmd/dbaas-watchdog listed no packages")
	}
	for _, p := range pkgs {
		for _, f := range forbidden {
			if strings.HasPrefix(p, f) {
				t.Errorf("dbaas-watchdog links %s (no package under %s belongs in the daemon)", p, f)
			}
		}
	}
}
