// This file holds Create: the workspace, made or found again after a
// create cut short.

package terraform

import (
	"context"
	"errors"

	tfe "github.com/hashicorp/go-tfe"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// Create makes the workspace, sets its variables, uploads its
// configuration and queues a run; it returns without waiting for the run.
func (b *Backend) Create(ctx context.Context, id machine.ID, s machine.Spec) (*machine.Machine, error) {
	want, err := variables(id.Name, s)
	if err != nil {
		return nil, err
	}
	main := MainTF(b.module, extraNames(s))
	hash := configHash(main)
	ws, created, err := b.ensureWorkspace(ctx, id, s.Owner, hash)
	if err != nil {
		return nil, err
	}
	if found := ownerOf(ws); !created && (found == nil || *found != s.Owner) {
		// Someone else's workspace: returned untouched, with its owner,
		// for the caller to refuse.
		return &machine.Machine{ID: ws.ID, Owner: found}, nil
	}
	have := map[string]*tfe.Variable{}
	var last *tfe.Run
	if !created {
		if last, err = b.latestRun(ctx, ws); err != nil {
			return nil, err
		}
		if last != nil && !final(last.Status) {
			return &machine.Machine{ID: ws.ID, Pending: pending(last)}, nil
		}
		if have, err = b.listVariables(ctx, ws); err != nil {
			return nil, err
		}
	}
	// A workspace without runs may have been created with the hash in its
	// description and cut short before its upload: upload again.
	upload := last == nil || hashOf(ws.Description) != hash
	return b.sync(ctx, ws, have, want, main, upload, "dbaas: create")
}

// ensureWorkspace creates the workspace, or finds it when a create that
// was cut short made it already.
func (b *Backend) ensureWorkspace(ctx context.Context, id machine.ID, owner ownership.Owner, hash string) (*tfe.Workspace, bool, error) {
	tags := ownerTags(owner)
	ws, err := b.client.Workspaces.Create(ctx, b.org, tfe.WorkspaceCreateOptions{
		Name:        tfe.String(id.Name),
		AutoApply:   tfe.Bool(b.autoApply),
		Description: tfe.String(description(id.Namespace, id.Name, hash)),
		Tags:        tags,
	})
	if err == nil {
		return ws, true, nil
	}
	if errors.Is(err, tfe.ErrResourceNotFound) {
		return nil, false, &machine.MissingError{Backend: backendName, What: "organization", Name: b.org,
			Hint: "check the provider config's terraform.organization and that its API token can see it"}
	}
	var te *machine.TransientError
	if errors.As(err, &te) {
		return nil, false, wrap(err, "cannot create workspace "+id.Name)
	}
	// Most likely "Name has already been taken": reuse the workspace.
	existing, rerr := b.readWorkspace(ctx, id)
	if rerr != nil {
		return nil, false, rerr
	}
	if existing == nil {
		return nil, false, wrap(err, "cannot create workspace "+id.Name)
	}
	return existing, false, nil
}
