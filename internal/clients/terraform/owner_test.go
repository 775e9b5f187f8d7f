package terraform

import (
	"testing"

	tfe "github.com/hashicorp/go-tfe"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// TestWorkspaceOwner: a workspace made by hand is reported without an
// owner and left untouched by Create; Mark tags it with the owner, and a
// workspace that carries another owner's tags is not re-marked.
func TestWorkspaceOwner(t *testing.T) {
	b, rig := newBackend(t, true)
	id := machine.ID{Namespace: "team-a", Name: "byhand"}
	if _, err := b.client.Workspaces.Create(ctx, b.org, tfe.WorkspaceCreateOptions{Name: tfe.String(id.Name), Tags: []*tfe.Tag{{Name: "dbaas"}, {Name: "team-a"}}}); err != nil {
		t.Fatal(err)
	}
	m, err := b.Observe(ctx, id)
	if err != nil || m == nil || m.Owner != nil {
		t.Fatalf("Observe of a workspace made by hand = %+v, %v; want it without an owner", m, err)
	}
	if m, err := b.Create(ctx, id, spec()); err != nil || m == nil || m.Owner != nil {
		t.Errorf("Create over a workspace made by hand = %+v, %v; want it reported without an owner", m, err)
	}
	if n := rig.Runs(id.Name); n != 0 {
		t.Errorf("Create queued %d runs in a workspace it did not make", n)
	}

	if err := b.Mark(ctx, id, owner); err != nil {
		t.Fatalf("Mark: %v", err)
	}
	if m, err := b.Observe(ctx, id); err != nil || m == nil || m.Owner == nil || *m.Owner != owner {
		t.Errorf("Observe after Mark = %+v, %v; want owner %s", m, err, owner)
	}
	other := ownership.Owner{Namespace: "team-a", UID: "0f1e2d3c-0000-4000-8000-0000000000cc"}
	if err := b.Mark(ctx, id, other); err == nil {
		t.Error("Mark over another owner's tags: want a refusal naming the tags to remove")
	}
}
