// This file holds Observe and Differences, and what they read of a
// workspace: its variables and its state's outputs.

package terraform

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"

	tfe "github.com/hashicorp/go-tfe"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

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
	for _, k := range slices.Sorted(maps.Keys(want)) {
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
