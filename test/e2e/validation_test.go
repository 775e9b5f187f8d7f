package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/localenv"
)

// TestInvalidClaimsAreRefused checks that the claim's CRD, which Crossplane
// generates from the XRD, refuses bad input before anything is composed.
func TestInvalidClaimsAreRefused(t *testing.T) {
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
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := newClaim("invalid", strings.ToLower(name), tc.spec)
			err := env.Client.Create(context.Background(), c)
			if err == nil {
				t.Fatalf("%s: the API server accepted the claim", tc.reason)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: the error should name %s, got: %v", tc.reason, tc.want, err)
			}
		})
	}
}

// TestUnknownSKUIsReportedWithAcceptedValues applies a claim for a sku the
// catalog does not offer: the function refuses it with a message that lists
// what is offered, and nothing is composed.
func TestUnknownSKUIsReportedWithAcceptedValues(t *testing.T) {
	ctx := context.Background()
	createNamespace(t, "bad-sku")
	claim := newClaim("bad-sku", "huge", map[string]any{"sku": "huge"})
	if err := env.Client.Create(ctx, claim); err != nil {
		t.Fatal(err)
	}
	// The function's Fatal result shows in the composite's Synced condition.
	var msg string
	waitFor(t, 2*time.Minute, "the composite to report the unknown sku", func() bool {
		if err := env.Client.Get(ctx, clientKey(claim), claim); err != nil {
			return false
		}
		xr := composite(t, claim)
		if xr == nil {
			return false
		}
		_, _, msg = localenv.Condition(xr, "Synced")
		return strings.Contains(msg, "huge")
	})
	for _, want := range []string{"sku", "small", "medium", "large"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the Synced message should mention %q: %s", want, msg)
		}
	}
	for _, k := range localenv.ComposedKinds {
		if n := len(listComposed(t, "bad-sku", k.Kind)); n != 0 {
			t.Errorf("want no %s composed for a refused claim, got %d", k.Kind, n)
		}
	}
	deleteClaimAndWait(t, claim)
}
