package e2e

import (
	"context"
	"testing"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestCatalogEditReachesDatabases edits a SKU's memory in the live catalog
// and sees the machine of a Database of that SKU follow on a later
// reconcile, with the Composition untouched: the catalog is data the
// platform team owns, not part of the Composition.
func TestCatalogEditReachesDatabases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const ns = "catalog-edit"
	createNamespace(t, ns)

	// A SKU of its own in an EnvironmentConfig of its own, so that no other
	// test's databases change size. Its label makes it part of the catalog,
	// merged with the platform's EnvironmentConfigs.
	ec := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.crossplane.io/v1beta1",
		"kind":       "EnvironmentConfig",
		"metadata": map[string]any{
			"name":   "e2e-catalog-edit",
			"labels": map[string]any{"dbaas.io/catalog": "default"},
		},
		"data": map[string]any{
			"skus": []any{map[string]any{"name": "e2e-edit", "cpu": int64(1), "memoryMiB": int64(512)}},
		},
	}}
	if err := env.Client.Create(ctx, ec); err != nil {
		t.Fatalf("cannot create the EnvironmentConfig: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Client.Delete(ctx, ec); err != nil && !kerrors.IsNotFound(err) {
			t.Errorf("cannot delete the EnvironmentConfig: %v", err)
		}
	})

	comp := &unstructured.Unstructured{}
	comp.SetAPIVersion("apiextensions.crossplane.io/v1")
	comp.SetKind("Composition")
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "databases.platform.dbaas.io"}, comp); err != nil {
		t.Fatalf("cannot get the Composition: %v", err)
	}
	compVersion := comp.GetResourceVersion()

	db := newDatabase(ns, "resized", map[string]any{"sku": "e2e-edit"})
	if err := env.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}

	// memoryMiB returns the composed machine's memory, or 0 before there is
	// one.
	memoryMiB := func() int64 {
		vms := listComposed(t, ns, "VirtualMachine")
		if len(vms) != 1 {
			return 0
		}
		m, _, _ := unstructured.NestedInt64(vms[0].Object, "spec", "forProvider", "memoryMiB")
		return m
	}
	waitFor(t, 3*time.Minute, "the VirtualMachine composed with the SKU's 512 MiB", func() bool { return memoryMiB() == 512 })

	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(ec), ec); err != nil {
		t.Fatalf("cannot get the EnvironmentConfig: %v", err)
	}
	if err := unstructured.SetNestedSlice(ec.Object, []any{map[string]any{"name": "e2e-edit", "cpu": int64(1), "memoryMiB": int64(768)}}, "data", "skus"); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Update(ctx, ec); err != nil {
		t.Fatalf("cannot edit the SKU: %v", err)
	}
	waitFor(t, 3*time.Minute, "the VirtualMachine to follow the SKU's new 768 MiB", func() bool { return memoryMiB() == 768 })

	// The engine's settings are derived from the SKU, so they follow too:
	// shared_buffers is a quarter of the memory.
	waitFor(t, time.Minute, "the DatabaseInstance's sharedBuffersMB to follow the SKU", func() bool {
		insts := listComposed(t, ns, "DatabaseInstance")
		if len(insts) != 1 {
			return false
		}
		sb, _, _ := unstructured.NestedInt64(insts[0].Object, "spec", "forProvider", "sharedBuffersMB")
		return sb == 192
	})

	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(comp), comp); err != nil {
		t.Fatalf("cannot get the Composition: %v", err)
	}
	if comp.GetResourceVersion() != compVersion {
		t.Errorf("the Composition changed (resourceVersion %s, was %s): the catalog edit alone should resize", comp.GetResourceVersion(), compVersion)
	}

	deleteAndWait(t, db)
}
