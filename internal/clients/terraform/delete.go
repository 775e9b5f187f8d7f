// This file holds Delete: a destroy run, then the workspace removed.

package terraform

import (
	"context"
	"errors"

	tfe "github.com/hashicorp/go-tfe"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

// Delete queues a destroy run, and removes the workspace once that run has
// applied. Observe reports the machine until the workspace is gone.
func (b *Backend) Delete(ctx context.Context, id machine.ID) error {
	ws, err := b.readWorkspace(ctx, id)
	if ws == nil || err != nil {
		return err
	}
	r, err := b.latestRun(ctx, ws)
	if err != nil {
		return err
	}
	switch {
	case r == nil || (r.IsDestroy && done(r.Status)):
		// Nothing was ever run, or all is destroyed. Safe delete refuses
		// a workspace that still manages resources.
		if err := b.client.Workspaces.SafeDeleteByID(ctx, ws.ID); err != nil && !errors.Is(err, tfe.ErrResourceNotFound) {
			return wrap(err, "cannot delete workspace "+ws.Name)
		}
		b.mu.Lock()
		delete(b.seen, ws.ID)
		b.mu.Unlock()
		return nil
	case r.IsDestroy && r.Status == tfe.RunErrored:
		return b.runFailed(ws, r)
	case r.IsDestroy && !final(r.Status):
		return nil
	}
	if _, err := b.client.Runs.Create(ctx, tfe.RunCreateOptions{
		Workspace: ws,
		IsDestroy: tfe.Bool(true),
		Message:   tfe.String("dbaas: delete"),
		AutoApply: tfe.Bool(b.autoApply),
	}); err != nil {
		return wrap(err, "cannot queue a destroy run in workspace "+ws.Name)
	}
	return nil
}
