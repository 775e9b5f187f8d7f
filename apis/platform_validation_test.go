package apis_test

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// platformDatabase is a platform Database of namespace default, restoring
// when restore is not nil.
func platformDatabase(name string, restore map[string]any) *unstructured.Unstructured {
	spec := map[string]any{"engine": "postgresql", "tier": "dev", "sku": "small", "environment": "local", "storageGB": int64(10)}
	if restore != nil {
		spec["restore"] = restore
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "platform.dbaas.io/v1alpha1",
		"kind":       "Database",
		"metadata":   map[string]any{"name": name, "namespace": "default"},
		"spec":       spec,
	}}
}

// platformRestoreValidation checks the XRD's rules on spec.restore: a
// restore is how a Database's data begins, so it is set when the Database
// is created and never added, changed or removed.
func platformRestoreValidation(t *testing.T, env *testenv.Env) {
	ctx := context.Background()
	at := map[string]any{"from": "orders", "toTime": "2026-12-07T11:30:00Z"}

	t.Run("Create", func(t *testing.T) {
		checkAnswer(t, "a Database restoring another of its namespace is accepted", env.Client.Create(ctx, platformDatabase("restored", at)), "")
		checkAnswer(t, "a toTime that is not RFC 3339 is refused",
			env.Client.Create(ctx, platformDatabase("bad-time", map[string]any{"from": "orders", "toTime": "yesterday"})), "spec.restore.toTime")
		checkAnswer(t, "from names a Database of the namespace, not of another one",
			env.Client.Create(ctx, platformDatabase("bad-from", map[string]any{"from": "team-b/orders", "toTime": "2026-12-07T11:30:00Z"})), "spec.restore.from")
	})

	update := func(t *testing.T, name string, mod func(spec map[string]any)) error {
		t.Helper()
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("platform.dbaas.io/v1alpha1")
		u.SetKind("Database")
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "default", Name: name}, u); err != nil {
			t.Fatal(err)
		}
		mod(u.Object["spec"].(map[string]any))
		return env.Client.Update(ctx, u)
	}

	t.Run("Immutable", func(t *testing.T) {
		checkAnswer(t, "another time is refused", update(t, "restored", func(s map[string]any) {
			s["restore"] = map[string]any{"from": "orders", "toTime": "2026-12-07T11:30:01Z"}
		}), "restore is immutable")
		checkAnswer(t, "removing the restore is refused", update(t, "restored", func(s map[string]any) { delete(s, "restore") }),
			"restore is set only when the Database is created")
		checkAnswer(t, "other fields still change", update(t, "restored", func(s map[string]any) { s["storageGB"] = int64(20) }), "")
	})

	t.Run("NotAddedLater", func(t *testing.T) {
		if err := env.Client.Create(ctx, platformDatabase("plain", nil)); err != nil {
			t.Fatal(err)
		}
		checkAnswer(t, "a restore added to a Database that exists is refused", update(t, "plain", func(s map[string]any) { s["restore"] = at }),
			"restore is set only when the Database is created")
	})
}
