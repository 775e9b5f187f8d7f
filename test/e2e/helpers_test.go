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
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/internal/localenv"
)

// newClaim returns a Database claim for the local dev sku with overrides.
func newClaim(ns, name string, spec map[string]any) *unstructured.Unstructured {
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
	u.SetGroupVersionKind(localenv.ClaimGVK)
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

// deleteClaimAndWait deletes a claim and waits until nothing it composed is
// left in its namespace.
func deleteClaimAndWait(t *testing.T, claim *unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	if err := env.Client.Delete(ctx, claim); err != nil && !kerrors.IsNotFound(err) {
		t.Fatalf("cannot delete claim: %v", err)
	}
	if err := env.WaitForGone(ctx, claim.GetNamespace(), 3*time.Minute); err != nil {
		t.Fatalf("composed resources were not deleted: %v", err)
	}
}

// listComposed returns the composed resources of one kind in a namespace.
func listComposed(t *testing.T, ns, kind string) []unstructured.Unstructured {
	t.Helper()
	for _, k := range localenv.ComposedKinds {
		if k.Kind != kind {
			continue
		}
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(k.GroupVersion().WithKind(k.Kind + "List"))
		if err := env.Client.List(context.Background(), l, client.InNamespace(ns)); err != nil {
			t.Fatalf("cannot list %s: %v", kind, err)
		}
		return l.Items
	}
	t.Fatalf("%s is not a composed kind", kind)
	return nil
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

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// composite returns a claim's composite resource, or nil before it has one.
func composite(t *testing.T, claim *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	name, _, _ := unstructured.NestedString(claim.Object, "spec", "resourceRef", "name")
	if name == "" {
		return nil
	}
	xr := &unstructured.Unstructured{}
	xr.SetAPIVersion("platform.dbaas.io/v1alpha1")
	xr.SetKind("XDatabase")
	if err := env.Client.Get(context.Background(), client.ObjectKey{Name: name}, xr); err != nil {
		return nil
	}
	return xr
}
