package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/dbaas-io/dbaas/internal/localenv"
)

// TestInvalidClaimsAreRefused checks that the CRDs of the Database and of the
// DatabaseClaim, which Crossplane generates from the XRDs, refuse bad input
// before anything is composed.
func TestInvalidClaimsAreRefused(t *testing.T) {
	t.Parallel()
	createNamespace(t, "invalid")
	cases := map[string]struct {
		reason string
		spec   map[string]any
		want   string
	}{
		"NegativeStorage": {
			reason: "storage must be at least 1 GB",
			spec:   map[string]any{"storageGB": int64(-5)},
			want:   "storageGB",
		},
		"EmptyEngine": {
			reason: "an engine must be named",
			spec:   map[string]any{"engine": ""},
			want:   "engine",
		},
		"MissingEngine": {
			reason: "an engine must be named",
			spec:   map[string]any{"engine": nil},
			want:   "engine",
		},
		"DatabaseNameNotAnIdentifier": {
			reason: "a database name must be a plain SQL identifier",
			spec:   map[string]any{"databaseName": `x"; DROP DATABASE postgres; --`},
			want:   "databaseName",
		},
	}
	kinds := map[string]func(ns, name string, spec map[string]any) *unstructured.Unstructured{
		"Database":      newDatabase,
		"DatabaseClaim": newClaim,
	}
	for kind, newObj := range kinds {
		for name, tc := range cases {
			t.Run(kind+"/"+name, func(t *testing.T) {
				c := newObj("invalid", strings.ToLower(name), tc.spec)
				err := env.Client.Create(context.Background(), c)
				if err == nil {
					t.Fatalf("%s: the API server accepted the %s", tc.reason, kind)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: the error should name %s, got: %v", tc.reason, tc.want, err)
				}
			})
		}
	}
}

// TestUnknownSKUIsReportedWithAcceptedValues applies a Database for a sku
// the catalog does not offer: the function refuses it with a message that
// lists what is offered, and nothing is composed.
func TestUnknownSKUIsReportedWithAcceptedValues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	createNamespace(t, "bad-sku")
	db := newDatabase("bad-sku", "huge", map[string]any{"sku": "huge"})
	if err := env.Client.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	// The function's Fatal result shows in the Database's own Synced
	// condition: a v2 XR is what the team wrote.
	var msg string
	waitFor(t, 2*time.Minute, "the Database to report the unknown sku", func() bool {
		if err := env.Client.Get(ctx, clientKey(db), db); err != nil {
			return false
		}
		_, _, msg = localenv.Condition(db, "Synced")
		return strings.Contains(msg, "huge")
	})
	for _, want := range []string{"sku", "small", "medium", "large"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the Synced message should mention %q: %s", want, msg)
		}
	}
	for _, k := range localenv.ComposedKinds {
		if n := len(listComposed(t, "bad-sku", k.Kind)); n != 0 {
			t.Errorf("want no %s composed for a refused Database, got %d", k.Kind, n)
		}
	}
	deleteAndWait(t, db)
}
