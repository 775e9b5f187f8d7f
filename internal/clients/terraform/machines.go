package terraform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	tfe "github.com/hashicorp/go-tfe"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// final run statuses: nothing more happens to the run by itself.
func final(s tfe.RunStatus) bool {
	switch s {
	case tfe.RunApplied, tfe.RunPlannedAndFinished, tfe.RunPlannedAndSaved, tfe.RunErrored,
		tfe.RunCanceled, tfe.RunDiscarded, "force_canceled":
		return true
	}
	return false
}

// done reports whether a run's changes are in the state: applied, or
// planned with nothing to change.
func done(s tfe.RunStatus) bool {
	return s == tfe.RunApplied || s == tfe.RunPlannedAndFinished
}

// waiting reports whether a run waits for someone in Terraform.
func waiting(r *tfe.Run) bool {
	if r.Actions != nil && r.Actions.IsConfirmable {
		return true
	}
	switch r.Status {
	case tfe.RunPlanned, tfe.RunCostEstimated, tfe.RunPolicyChecked, tfe.RunPostPlanCompleted:
		return !r.AutoApply
	case tfe.RunPolicyOverride, tfe.RunPolicySoftFailed, tfe.RunPostPlanAwaitingDecision:
		return true
	}
	return false
}

func kind(r *tfe.Run) string {
	if r.IsDestroy {
		return "destroy run"
	}
	return "run"
}

// pending says what an unfinished run is doing.
func pending(r *tfe.Run) string {
	if waiting(r) {
		return fmt.Sprintf("%s %s waits for approval in Terraform", kind(r), r.ID)
	}
	return fmt.Sprintf("%s %s is %s", kind(r), r.ID, r.Status)
}

func (b *Backend) runFailed(ws *tfe.Workspace, r *tfe.Run) error {
	return fmt.Errorf("%s %s of workspace %s %s: see %s", kind(r), r.ID, ws.Name, r.Status, b.runURL(ws.Name, r.ID))
}

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

// readWorkspace reads the workspace of the machine's name, whoever made
// it: Observe reports its owner and the caller decides.
func (b *Backend) readWorkspace(ctx context.Context, id machine.ID) (*tfe.Workspace, error) {
	ws, err := b.client.Workspaces.Read(ctx, b.org, id.Name)
	if errors.Is(err, tfe.ErrResourceNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap(err, "cannot read workspace "+id.Name)
	}
	return ws, nil
}

// latestRun is the workspace's newest run; nil when it has none.
func (b *Backend) latestRun(ctx context.Context, ws *tfe.Workspace) (*tfe.Run, error) {
	l, err := b.client.Runs.List(ctx, ws.ID, &tfe.RunListOptions{ListOptions: tfe.ListOptions{PageSize: 1}})
	if err != nil {
		return nil, wrap(err, "cannot list the runs of workspace "+ws.Name)
	}
	if len(l.Items) == 0 {
		return nil, nil
	}
	return l.Items[0], nil
}

func (b *Backend) listVariables(ctx context.Context, ws *tfe.Workspace) (map[string]*tfe.Variable, error) {
	out := map[string]*tfe.Variable{}
	opts := &tfe.VariableListOptions{ListOptions: tfe.ListOptions{PageSize: 100}}
	for {
		l, err := b.client.Variables.List(ctx, ws.ID, opts)
		if err != nil {
			return nil, wrap(err, "cannot list the variables of workspace "+ws.Name)
		}
		for _, v := range l.Items {
			if v.Category == tfe.CategoryTerraform {
				out[v.Key] = v
			}
		}
		if l.Pagination == nil || l.NextPage == 0 || l.NextPage == opts.PageNumber {
			return out, nil
		}
		opts.PageNumber = l.NextPage
	}
}

// outputs reads the machine from the state's outputs; an empty machine when
// there is no state yet.
func (b *Backend) outputs(ctx context.Context, ws *tfe.Workspace, m *machine.Machine) error {
	l, err := b.client.StateVersionOutputs.ReadCurrent(ctx, ws.ID)
	if errors.Is(err, tfe.ErrResourceNotFound) {
		return nil
	}
	if err != nil {
		return wrap(err, "cannot read the state outputs of workspace "+ws.Name)
	}
	for _, o := range l.Items {
		switch o.Name {
		case "address":
			m.Address = str(o.Value)
		case "cpu":
			m.CPU = num(o.Value)
		case "memory_mib":
			m.MemoryMiB = num(o.Value)
		case "power_state":
			m.PowerState = machine.PowerOf(machine.PowerState(str(o.Value)))
		case "disks":
			list, _ := o.Value.([]interface{})
			for _, d := range list {
				if d, ok := d.(map[string]interface{}); ok {
					m.Disks = append(m.Disks, machine.Disk{Name: str(d["name"]), SizeGiB: num(d["size_gib"])})
				}
			}
			m.Disks = machine.SortDisks(m.Disks)
		}
	}
	return nil
}

func str(v interface{}) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func num(v interface{}) int32 {
	var f float64
	switch v := v.(type) {
	case float64:
		f = v
	case int:
		f = float64(v)
	case string:
		f, _ = strconv.ParseFloat(v, 64)
	}
	if f > math.MaxInt32 || f < 0 {
		return 0
	}
	return int32(f)
}

func (b *Backend) remember(ws *tfe.Workspace, vars map[string]*tfe.Variable) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seen[ws.ID] = observed{name: ws.Name, hash: hashOf(ws.Description), vars: vars}
}

// Observe returns the machine as its workspace's latest run left it. The
// machine's ID is the workspace's ID (the module's id output names the VM
// inside its cloud; Machine has no field for it).
func (b *Backend) Observe(ctx context.Context, id machine.ID) (*machine.Machine, error) {
	ws, err := b.readWorkspace(ctx, id)
	if ws == nil || err != nil {
		return nil, err
	}
	r, err := b.latestRun(ctx, ws)
	if err != nil {
		return nil, err
	}
	m := &machine.Machine{ID: ws.ID, Owner: ownerOf(ws)}
	switch {
	case r == nil:
		// A create cut short before its run: the machine differs from
		// every spec, so Update syncs the workspace and queues the run.
	case r.Status == tfe.RunErrored && !r.IsDestroy:
		// The workspace stays observable, so that a changed spec queues a
		// new run and a delete queues a destroy run.
		m.Failed = b.runFailed(ws, r).Error()
	case r.Status == tfe.RunErrored:
		return nil, b.runFailed(ws, r)
	case r.IsDestroy && (!final(r.Status) || done(r.Status)):
		// Going away: Delete removes the workspace once this is applied.
		m.Pending = pending(r)
		return m, nil
	case !final(r.Status):
		m.Pending = pending(r)
	}
	vars, err := b.listVariables(ctx, ws)
	if err != nil {
		return nil, err
	}
	b.remember(ws, vars)
	if err := b.outputs(ctx, ws, m); err != nil {
		return nil, err
	}
	return m, nil
}

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

// namespaceOf reads the namespace back from the workspace's tags.
func namespaceOf(ws *tfe.Workspace) (string, bool) {
	for _, t := range ws.TagNames {
		if t != tagDBaaS && !strings.HasPrefix(t, ownerTagPrefix) {
			return t, true
		}
	}
	return "", false
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
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
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

// Differences compares the state's outputs with the spec, and the
// workspace's variables as the last Observe read them, so that a variable
// changed in Terraform behind the provider's back is put right too.
// Sensitive variables (user_data) cannot be read back and are not compared.
func (b *Backend) Differences(s machine.Spec, m *machine.Machine) []string {
	// After a failed run the outputs say nothing of the machine: only what
	// the provider sets is compared, so that the same failing run is not
	// queued again and again, while a changed spec is still applied.
	var out []string
	if m.Failed == "" {
		out = machine.Differences(s, m)
	}
	b.mu.Lock()
	var seen *observed
	if o, ok := b.seen[m.ID]; ok {
		seen = &o
	}
	b.mu.Unlock()
	if seen == nil {
		return out
	}
	want, err := variables(seen.name, s)
	if err != nil {
		return append(out, err.Error())
	}
	if h := configHash(MainTF(b.module, extraNames(s))); seen.hash != h {
		out = append(out, fmt.Sprintf("configuration %s, want %s", seen.hash, h))
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w := want[k]
		h, ok := seen.vars[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("variable %s is not set, want %q", k, w.Value))
		case w.Sensitive:
		case h.Value != w.Value:
			out = append(out, fmt.Sprintf("variable %s is %q in the workspace, want %q", k, h.Value, w.Value))
		case h.HCL != w.HCL:
			out = append(out, fmt.Sprintf("variable %s has hcl %t, want %t", k, h.HCL, w.HCL))
		}
	}
	extra := []string{}
	for k, h := range seen.vars {
		if _, ok := want[k]; !ok && h.Description == managedDescription {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		out = append(out, fmt.Sprintf("variable %s is set in the workspace but not in the spec", k))
	}
	return out
}
