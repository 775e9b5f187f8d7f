// This file holds the owner marker as workspace tags, and Mark.

package terraform

import (
	"context"
	"fmt"
	"slices"
	"strings"

	tfe "github.com/hashicorp/go-tfe"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// ownerTagPrefix + a VirtualMachine's UID is the tag that, with the
// dbaas tag and the namespace's tag, carries the owner marker: workspace
// tags are plain names (letters, digits, '-', '_' and ':'), so the marker's
// two parts are two tags.
const ownerTagPrefix = "dbaas-io-uid:"

// ownerTags are the tags of a workspace made for owner.
func ownerTags(o ownership.Owner) []*tfe.Tag {
	return []*tfe.Tag{{Name: tagDBaaS}, {Name: o.Namespace}, {Name: ownerTagPrefix + o.UID}}
}

// ownerOf reads the owner marker from a workspace's tags; nil when the
// workspace was not made by dbaas for a VirtualMachine (no dbaas tag, or
// no UID tag).
func ownerOf(ws *tfe.Workspace) *ownership.Owner {
	if !slices.Contains(ws.TagNames, tagDBaaS) {
		return nil
	}
	ns, ok := namespaceOf(ws)
	if !ok {
		return nil
	}
	for _, t := range ws.TagNames {
		if uid, ok := strings.CutPrefix(t, ownerTagPrefix); ok && uid != "" {
			return &ownership.Owner{Namespace: ns, UID: uid}
		}
	}
	return nil
}

// namespaceOf reads the namespace back from the workspace's tags.
func namespaceOf(ws *tfe.Workspace) (string, bool) {
	for _, t := range ws.TagNames {
		if t != tagDBaaS && !strings.HasPrefix(t, ownerTagPrefix) {
			return t, true
		}
	}
	return "", false
}

// Mark adds owner's tags to the workspace. Tags of another owner stay,
// and ownerOf then reads the first UID tag: an import over another
// resource's marker is refused until that tag is removed in Terraform.
func (b *Backend) Mark(ctx context.Context, id machine.ID, owner ownership.Owner) error {
	ws, err := b.readWorkspace(ctx, id)
	if err != nil {
		return err
	}
	if ws == nil {
		return fmt.Errorf("workspace %s does not exist", id.Name)
	}
	if found := ownerOf(ws); found != nil && *found != owner {
		return fmt.Errorf("workspace %s carries the marker of %s: remove its tags %q and %q in Terraform first", ws.Name, found, found.Namespace, ownerTagPrefix+found.UID)
	}
	if err := b.client.Workspaces.AddTags(ctx, ws.ID, tfe.WorkspaceAddTagsOptions{Tags: ownerTags(owner)}); err != nil {
		return wrap(err, "cannot tag workspace "+id.Name)
	}
	return nil
}
