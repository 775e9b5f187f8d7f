// This file holds Update, and sync, which Create and Update share to write
// a workspace's settings, configuration and variables and queue a run.

package terraform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	tfe "github.com/hashicorp/go-tfe"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

// Update brings the workspace's variables and configuration to the spec and
// queues a run. It changes nothing while a run is under way, or when the
// spec would shrink or drop a disk.
func (b *Backend) Update(ctx context.Context, id machine.ID, s machine.Spec) (*machine.Machine, error) {
	want, err := variables(id.Name, s)
	if err != nil {
		return nil, err
	}
	ws, err := b.readWorkspace(ctx, id)
	if err != nil {
		return nil, err
	}
	if ws == nil {
		return nil, fmt.Errorf("workspace %s is gone", id.Name)
	}
	last, err := b.latestRun(ctx, ws)
	if err != nil {
		return nil, err
	}
	if last != nil && !final(last.Status) {
		return &machine.Machine{ID: ws.ID, Pending: pending(last)}, nil
	}
	current := &machine.Machine{}
	if err := b.outputs(ctx, ws, current); err != nil {
		return nil, err
	}
	if err := machine.CheckDisks(current.Disks, s.Disks); err != nil {
		return nil, err
	}
	have, err := b.listVariables(ctx, ws)
	if err != nil {
		return nil, err
	}
	main := MainTF(b.module, extraNames(s))
	upload := last == nil || hashOf(ws.Description) != configHash(main)
	return b.sync(ctx, ws, have, want, main, upload, "dbaas: update")
}

// sync sets the workspace's settings, configuration and variables, then
// queues a run.
func (b *Backend) sync(ctx context.Context, ws *tfe.Workspace, have map[string]*tfe.Variable, want map[string]variable, main string, upload bool, message string) (*machine.Machine, error) {
	var cv *tfe.ConfigurationVersion
	if upload {
		var err error
		if cv, err = b.upload(ctx, ws, main); err != nil {
			return nil, err
		}
	}
	hash := configHash(main)
	if ws.AutoApply != b.autoApply || hashOf(ws.Description) != hash {
		// After the upload, so a description never names a configuration
		// that was not uploaded.
		ns, _ := namespaceOf(ws)
		if _, err := b.client.Workspaces.UpdateByID(ctx, ws.ID, tfe.WorkspaceUpdateOptions{
			AutoApply:   tfe.Bool(b.autoApply),
			Description: tfe.String(description(ns, ws.Name, hash)),
		}); err != nil {
			return nil, wrap(err, "cannot update workspace "+ws.Name)
		}
	}
	if err := b.setVariables(ctx, ws, have, want); err != nil {
		return nil, err
	}
	r, err := b.client.Runs.Create(ctx, tfe.RunCreateOptions{
		Workspace:            ws,
		ConfigurationVersion: cv,
		Message:              tfe.String(message),
		AutoApply:            tfe.Bool(b.autoApply),
	})
	if err != nil {
		return nil, wrap(err, "cannot queue a run in workspace "+ws.Name)
	}
	return &machine.Machine{ID: ws.ID, Pending: pending(r)}, nil
}

func (b *Backend) upload(ctx context.Context, ws *tfe.Workspace, main string) (*tfe.ConfigurationVersion, error) {
	tgz, err := archive(main)
	if err != nil {
		return nil, err
	}
	cv, err := b.client.ConfigurationVersions.Create(ctx, ws.ID, tfe.ConfigurationVersionCreateOptions{
		AutoQueueRuns: tfe.Bool(false),
	})
	if err != nil {
		return nil, wrap(err, "cannot create a configuration version in workspace "+ws.Name)
	}
	if err := b.client.ConfigurationVersions.UploadTarGzip(ctx, cv.UploadURL, bytes.NewReader(tgz)); err != nil {
		return nil, wrap(err, "cannot upload the configuration of workspace "+ws.Name)
	}
	return cv, nil
}

// setVariables creates and updates the variables that differ, and removes
// the provider's variables the spec no longer has.
func (b *Backend) setVariables(ctx context.Context, ws *tfe.Workspace, have map[string]*tfe.Variable, want map[string]variable) error {
	for _, k := range slices.Sorted(maps.Keys(want)) {
		w := want[k]
		h, ok := have[k]
		switch {
		case !ok:
			if _, err := b.client.Variables.Create(ctx, ws.ID, tfe.VariableCreateOptions{
				Key: tfe.String(k), Value: tfe.String(w.Value), Description: tfe.String(managedDescription),
				Category: tfe.Category(tfe.CategoryTerraform), HCL: tfe.Bool(w.HCL), Sensitive: tfe.Bool(w.Sensitive),
			}); err != nil {
				return wrap(err, fmt.Sprintf("cannot set variable %s of workspace %s", k, ws.Name))
			}
		// A sensitive value cannot be read back, so it is always written.
		case w.Sensitive || h.Value != w.Value || h.HCL != w.HCL || h.Sensitive != w.Sensitive || h.Description != managedDescription:
			if _, err := b.client.Variables.Update(ctx, ws.ID, h.ID, tfe.VariableUpdateOptions{
				Value: tfe.String(w.Value), Description: tfe.String(managedDescription),
				HCL: tfe.Bool(w.HCL), Sensitive: tfe.Bool(w.Sensitive),
			}); err != nil {
				return wrap(err, fmt.Sprintf("cannot set variable %s of workspace %s", k, ws.Name))
			}
		}
	}
	for k, h := range have {
		if _, ok := want[k]; !ok && h.Description == managedDescription {
			if err := b.client.Variables.Delete(ctx, ws.ID, h.ID); err != nil && !errors.Is(err, tfe.ErrResourceNotFound) {
				return wrap(err, fmt.Sprintf("cannot remove variable %s of workspace %s", k, ws.Name))
			}
		}
	}
	return nil
}
