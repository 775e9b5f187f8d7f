package e2e

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestChangesThatLoseDataAreRefused checks that the CRDs of the Database and
// of the DatabaseClaim refuse, on update, the changes that would lose data
// or need a major upgrade: a smaller storageGB and another version. The
// function refuses the others (a tier that drops to one member, another
// environment), which its unit tests show.
func TestChangesThatLoseDataAreRefused(t *testing.T) {
	t.Parallel()
	const ns = "transitions"
	createNamespace(t, ns)
	ctx := context.Background()

	cases := map[string]struct {
		reason string
		change map[string]any
		want   string
	}{
		"SmallerStorage": {
			reason: "storage only grows",
			change: map[string]any{"storageGB": int64(5)},
			want:   "storageGB only grows",
		},
		"OtherVersion": {
			reason: "a major version cannot change",
			change: map[string]any{"version": "16"},
			want:   "version is immutable",
		},
	}
	kinds := map[string]func(ns, name string, spec map[string]any) *unstructured.Unstructured{
		"Database":      newDatabase,
		"DatabaseClaim": newClaim,
	}
	for kind, newObj := range kinds {
		// An SKU the catalog does not offer: the function refuses it, so
		// nothing is composed and no server starts for this test.
		obj := newObj(ns, strings.ToLower(kind), map[string]any{"sku": "none", "version": "15", "storageGB": int64(10)})
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatalf("cannot create the %s: %v", kind, err)
		}
		t.Cleanup(func() { deleteAndWait(t, obj) })

		for name, tc := range cases {
			t.Run(kind+"/"+name, func(t *testing.T) {
				// Core writes the composite's status and labels as it
				// reconciles: a conflict means another writer came first,
				// so the change is tried again on the latest version.
				err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
					u := &unstructured.Unstructured{}
					u.SetGroupVersionKind(obj.GroupVersionKind())
					if err := env.Client.Get(ctx, client.ObjectKeyFromObject(obj), u); err != nil {
						return err
					}
					for k, v := range tc.change {
						if err := unstructured.SetNestedField(u.Object, v, "spec", k); err != nil {
							return err
						}
					}
					return env.Client.Update(ctx, u)
				})
				if err == nil {
					t.Fatalf("%s: the API server accepted the change of the %s", tc.reason, kind)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: the error should say %q, got: %v", tc.reason, tc.want, err)
				}
			})
		}
	}
}
