package server

import (
	"context"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
)

// TestNextTurn: a reconcile whose turn is near runs, having waited for it;
// one whose turn is far gives its worker back until then, and is let
// through without a second turn when it comes back.
func TestNextTurn(t *testing.T) {
	now := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		reason      string
		granted     time.Time
		delay       time.Duration
		want        turn
		wantReserve bool
	}{
		"TurnNow": {
			reason:      "A token in the bucket: run at once.",
			want:        turn{Run: true},
			wantReserve: true,
		},
		"TurnNear": {
			reason:      "A turn within TurnInline is waited for holding the worker: a requeue costs more.",
			delay:       TurnInline,
			want:        turn{Run: true, Wait: TurnInline},
			wantReserve: true,
		},
		"TurnFar": {
			reason:      "A turn further off gives the worker back until then, keeping the turn.",
			delay:       3 * time.Second,
			want:        turn{After: 3 * time.Second, Reserved: true},
			wantReserve: true,
		},
		"BackForItsTurn": {
			reason:  "Requeued for its turn: run, taking no other.",
			granted: now,
			want:    turn{Run: true},
		},
		"BackLate": {
			reason:  "A turn that passed while the request waited in the queue is still its own.",
			granted: now.Add(-time.Minute),
			want:    turn{Run: true},
		},
		"BackNearlyOnTime": {
			reason:  "Back a little before its turn: wait the rest.",
			granted: now.Add(TurnInline / 2),
			want:    turn{Run: true, Wait: TurnInline / 2},
		},
		"WokenEarly": {
			reason:  "A watch woke the request long before its turn: back to the queue until the turn, with no new one.",
			granted: now.Add(2 * time.Second),
			want:    turn{After: 2 * time.Second},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			reserved := false
			got := nextTurn(now, tc.granted, func() time.Duration {
				reserved = true
				return tc.delay
			})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nnextTurn(): -want, +got:\n%s", tc.reason, diff)
			}
			if reserved != tc.wantReserve {
				t.Errorf("%s\nreserved a turn: %v, want %v", tc.reason, reserved, tc.wantReserve)
			}
		})
	}
}

// TestTurnsGiveTheWorkerBack: on a server that takes one operation a second,
// the second reconcile in the same instant is not run and does not wait: it
// returns at once with a requeue for its turn. Back at that time it runs
// with its turn taken, so Connect does not wait again, and the turn it used
// was its own: the next request's turn is a second after it.
func TestTurnsGiveTheWorkerBack(t *testing.T) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{apisv1alpha1.SchemeBuilder.AddToScheme, sqlv1alpha1.SchemeBuilder.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	platform := &apisv1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: "shared"},
		Spec: apisv1alpha1.ProviderConfigSpec{Server: &apisv1alpha1.ExistingServer{
			Engine: "postgresql", Host: "db", MaxOperationsPerSecond: 1,
		}},
	}
	db := func(name, instance string) *sqlv1alpha1.Database {
		d := &sqlv1alpha1.Database{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: name}}
		d.Spec.ForProvider.Instance = instance
		d.SetProviderConfigReference(&xpv2.ProviderConfigReference{Kind: apisv1alpha1.ClusterProviderConfigKind, Name: "shared"})
		return d
	}
	objects := map[string]*sqlv1alpha1.Database{"a": db("a", ""), "b": db("b", ""), "c": db("c", ""), "own": db("own", "pg")}

	var ran []string
	inner := reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		if req.Name != "own" && !hadTurn(ctx) {
			t.Errorf("%s reconciled without its turn: Connect would wait for another", req.Name)
		}
		ran = append(ran, req.Name)
		return reconcile.Result{}, nil
	})
	now := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	tr := &Turns{
		Inner:     inner,
		Connector: &Connector{Configs: fake.NewClientBuilder().WithScheme(s).WithObjects(platform).Build(), Limiters: NewLimiters()},
		Lookup: func(_ context.Context, nn types.NamespacedName) (Managed, string, error) {
			d := objects[nn.Name]
			return d, d.Spec.ForProvider.Instance, nil
		},
		now: func() time.Time { return now },
	}
	do := func(name string) reconcile.Result {
		t.Helper()
		res, err := tr.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "team-a", Name: name}})
		if err != nil {
			t.Fatalf("reconcile %s: %v", name, err)
		}
		return res
	}

	if res := do("a"); res.RequeueAfter != 0 || !cmp.Equal(ran, []string{"a"}) {
		t.Fatalf("the first operation on the server: %+v, ran %v; want it run at once", res, ran)
	}
	res := do("b")
	if res.RequeueAfter <= TurnInline || res.RequeueAfter > time.Second || len(ran) != 1 {
		t.Fatalf("the second operation in the same instant at 1 a second: %+v, ran %v; want a requeue for its turn within a second and nothing run", res, ran)
	}
	// The provider's own instance is not limited, whatever its server's
	// bucket holds.
	if res := do("own"); res.RequeueAfter != 0 || ran[len(ran)-1] != "own" {
		t.Fatalf("a Database on the provider's own instance: %+v, ran %v; want it run at once", res, ran)
	}
	now = now.Add(res.RequeueAfter)
	if res := do("b"); res.RequeueAfter != 0 || ran[len(ran)-1] != "b" {
		t.Fatalf("back for its turn: %+v, ran %v; want it run", res, ran)
	}
	// b's turn was the one reserved: c, asking at b's turn, waits a
	// whole second more.
	if res := do("c"); res.RequeueAfter <= TurnInline || len(ran) != 3 {
		t.Fatalf("the next operation at b's turn: %+v, ran %v; want a requeue, b having used the turn it reserved", res, ran)
	}
	if len(tr.granted) != 1 {
		t.Errorf("turns kept for %d requests, want only c's: a request let through forgets its turn", len(tr.granted))
	}
}
