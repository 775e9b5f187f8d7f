package machines

import (
	"context"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dbaas-io/dbaas/internal/localenv"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// TestExamplesApply applies examples/machines as a user would: the API
// server's validation must accept every object in them.
func TestExamplesApply(t *testing.T) {
	t.Parallel()
	env := testenv.Shared(t)
	ctx := context.Background()
	// The platform's configs and their Secrets live in crossplane-system;
	// the team's machines in team-a.
	for _, ns := range []string{"team-a", "crossplane-system"} {
		must(t, env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	}
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(t), "examples", "machines", "*.yaml"))
	must(t, err)
	if len(files) < 4 {
		t.Fatalf("want an example for each of vsphere, azure, gcp and terraform, found %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if err := localenv.ApplyFile(ctx, env.Client, f); err != nil {
				t.Error(err)
			}
		})
	}
}
