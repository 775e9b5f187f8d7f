package apis_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// composedGoldens are the function's golden responses (TestComposeTiers):
// every tier composed in every environment of its test catalog.
const composedGoldens = "functions/dbaas/fn/testdata/compose"

// composedValidation offers every resource the function composes in its
// golden responses to env's API server, as Crossplane would apply it
// (dry run, so the same names in several files do not collide): the
// schemas and CEL rules of the provider's CRDs must accept what the
// function composes, such as a tier's BackupSchedule and the instance's
// backup settings, which no other test applies.
func composedValidation(t *testing.T, env *testenv.Env) {
	ctx := context.Background()
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(t), composedGoldens, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden responses in %s: %v", composedGoldens, err)
	}
	var kinds []string
	for _, f := range files {
		for name, u := range composedIn(t, f) {
			if ns := u.GetNamespace(); ns != "" {
				ensureNamespace(ctx, t, env, ns)
			}
			if err := env.Client.Create(ctx, u, client.DryRunAll); err != nil {
				t.Errorf("%s: %s (%s %s) refused: %v", filepath.Base(f), name, u.GetKind(), u.GetName(), err)
			}
			if !slices.Contains(kinds, u.GetKind()) {
				kinds = append(kinds, u.GetKind())
			}
		}
	}
	if !slices.Contains(kinds, "BackupSchedule") || !slices.Contains(kinds, "DatabaseInstance") {
		t.Errorf("want the goldens to compose BackupSchedules and DatabaseInstances, got only %v", kinds)
	}
}

// composedIn reads the desired composed resources of a golden response.
func composedIn(t *testing.T, file string) map[string]*unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(filepath.Clean(file))
	if err != nil {
		t.Fatal(err)
	}
	rsp := struct {
		Desired struct {
			Resources map[string]struct {
				Resource map[string]any `json:"resource"`
			} `json:"resources"`
		} `json:"desired"`
	}{}
	if err := yaml.Unmarshal(b, &rsp); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	out := map[string]*unstructured.Unstructured{}
	for name, r := range rsp.Desired.Resources {
		out[name] = &unstructured.Unstructured{Object: r.Resource}
	}
	return out
}

func ensureNamespace(ctx context.Context, t *testing.T, env *testenv.Env, name string) {
	t.Helper()
	err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if err != nil && !kerrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}
