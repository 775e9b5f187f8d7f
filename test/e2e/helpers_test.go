package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/internal/localenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// newDatabase returns a platform Database for the local dev sku with
// overrides; a nil override removes the field.
func newDatabase(ns, name string, spec map[string]any) *unstructured.Unstructured {
	return newOf(localenv.DatabaseGVK, ns, name, spec)
}

// newClaim returns a DatabaseClaim of the claim path, otherwise as
// newDatabase.
func newClaim(ns, name string, spec map[string]any) *unstructured.Unstructured {
	return newOf(localenv.ClaimGVK, ns, name, spec)
}

func newOf(gvk schema.GroupVersionKind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	s := map[string]any{
		"engine":      "postgresql",
		"tier":        "dev",
		"sku":         "small",
		"storageGB":   int64(10),
		"environment": "local",
		"writeConnectionSecretToRef": map[string]any{
			"name": name + "-db",
		},
	}
	for k, v := range spec {
		if v == nil {
			delete(s, k)
			continue
		}
		s[k] = v
	}
	u := &unstructured.Unstructured{Object: map[string]any{"spec": s}}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

// createNamespace makes a namespace for one test.
func createNamespace(t *testing.T, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := env.Client.Create(context.Background(), ns); err != nil && !kerrors.IsAlreadyExists(err) {
		t.Fatalf("cannot create namespace %s: %v", name, err)
	}
}

// deleteAndWait deletes a Database or a claim and waits until nothing it
// composed is left in its namespace.
func deleteAndWait(t *testing.T, u *unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	if err := env.Client.Delete(ctx, u); err != nil && !kerrors.IsNotFound(err) {
		t.Fatalf("cannot delete %s: %v", u.GetKind(), err)
	}
	if err := env.WaitForGone(ctx, u.GetNamespace(), 3*time.Minute); err != nil {
		t.Fatalf("composed resources were not deleted: %v", err)
	}
}

// listComposed returns the composed resources of one kind in a namespace.
func listComposed(t *testing.T, ns, kind string) []unstructured.Unstructured {
	t.Helper()
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(composedListGVK(composedGVK(t, kind)))
	if err := env.Client.List(context.Background(), l, client.InNamespace(ns)); err != nil {
		t.Fatalf("cannot list %s: %v", kind, err)
	}
	return l.Items
}

// composedKind returns the group, version and kind of a composed kind.
func composedKind(kind string) (schema.GroupVersionKind, bool) {
	for _, k := range localenv.ComposedKinds {
		if k.Kind == kind {
			return k, true
		}
	}
	return schema.GroupVersionKind{}, false
}

// composedGVK is composedKind for a kind the test knows is composed.
func composedGVK(t *testing.T, kind string) schema.GroupVersionKind {
	t.Helper()
	k, ok := composedKind(kind)
	if !ok {
		t.Fatalf("%s is not a composed kind", kind)
	}
	return k
}

// composedListGVK is the list kind of a kind.
func composedListGVK(k schema.GroupVersionKind) schema.GroupVersionKind {
	return k.GroupVersion().WithKind(k.Kind + "List")
}

// dataDirs returns the PostgreSQL data directories below a directory:
// those holding a PG_VERSION file.
func dataDirs(t *testing.T, below string) []string {
	t.Helper()
	var dirs []string
	_ = filepath.WalkDir(below, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "PG_VERSION" && filepath.Base(filepath.Dir(p)) != "base" && !strings.Contains(p, "/base/") {
			dirs = append(dirs, filepath.Dir(p))
		}
		return nil
	})
	return dirs
}

// waitFor waits until cond holds (wait.For, for conditions that have no
// state to tell).
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	wait.For(t, timeout, what, func() (bool, string) { return cond(), "" })
}
