package local

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// TestLocalRules: the local backend records rules, reports them as not
// enforced, and forgets them on delete.
func TestLocalRules(t *testing.T) {
	ctx := context.Background()
	l := New(t.TempDir(), 24000, 24099)
	id := machine.ID{Namespace: "team-a", Name: "allow-postgres"}

	if r, err := l.ObserveRule(ctx, id); err != nil || r != nil {
		t.Fatalf("ObserveRule before create: want nil, nil; got %+v, %v", r, err)
	}
	owner := ownership.Owner{Namespace: "team-a", UID: "0f1e2d3c-0000-4000-8000-00000000000a"}
	spec := machine.RuleSpec{Ports: []int32{5432}, Protocol: "TCP", SourceCIDRs: []string{"10.0.0.0/8"}, Priority: 1000, Owner: owner}
	if _, err := l.CreateRule(ctx, id, spec); err != nil {
		t.Fatal(err)
	}
	r, err := l.ObserveRule(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := &machine.Rule{ID: "team-a/allow-postgres", Ports: []int32{5432}, Protocol: "TCP", SourceCIDRs: []string{"10.0.0.0/8"}, Priority: 1000, Owner: &owner}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("ObserveRule: -want, +got:\n%s", diff)
	}
	if d := machine.RuleDifferences(spec, r); len(d) != 0 {
		t.Errorf("a rule just made differs from its spec: %v", d)
	}

	spec.Ports = []int32{5432, 6432}
	if _, err := l.UpdateRule(ctx, id, spec); err != nil {
		t.Fatal(err)
	}
	if r, _ := l.ObserveRule(ctx, id); r == nil || len(r.Ports) != 2 {
		t.Errorf("after UpdateRule: want two ports, got %+v", r)
	}

	if err := l.DeleteRule(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := l.DeleteRule(ctx, id); err != nil {
		t.Errorf("deleting a rule twice: %v", err)
	}
	if r, err := l.ObserveRule(ctx, id); err != nil || r != nil {
		t.Errorf("ObserveRule after delete: want nil, nil; got %+v, %v", r, err)
	}
}
