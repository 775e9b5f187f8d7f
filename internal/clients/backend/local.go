package backend

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
	"github.com/dbaas-io/dbaas/internal/clients/safepath"
)

const (
	errReadRule   = "cannot read the local rule record"
	errWriteRule  = "cannot write the local rule record"
	errRemoveRule = "cannot remove the local rule record"
	errRuleID     = "rule %s/%s cannot be a local rule; its namespace and external name must be DNS-1123 names"

	// LocalAddress is where services of a local machine are reached.
	LocalAddress = "127.0.0.1"

	// rulesDir holds the local backend's rule records beside its
	// machines. A namespace cannot start with a dot, so it never clashes
	// with a namespace's machine directory.
	rulesDir = ".rules"
)

// Local drives the local backend's machines through the machine contract.
// Its machines all live on loopback, so it has no firewall: rules are
// recorded, reported as not enforced, and change nothing.
type Local struct {
	b *local.Backend
}

// NewLocal wraps a local backend.
func NewLocal(b *local.Backend) *Local { return &Local{b: b} }

var _ machine.Backend = &Local{}

func localID(id machine.ID) local.MachineID {
	return local.MachineID{Namespace: id.Namespace, Name: id.Name}
}

func localSpec(s machine.Spec) local.Spec {
	out := local.Spec{CPU: s.CPU, MemoryMiB: s.MemoryMiB, PowerState: local.PowerState(machine.PowerOf(s.PowerState)), Owner: s.Owner.Marker()}
	for _, d := range s.Disks {
		out.Disks = append(out.Disks, local.Disk{Name: d.Name, SizeGiB: d.SizeGiB})
	}
	if s.Local != nil {
		out.Ports = s.Local.Ports
	}
	return out
}

func fromLocal(m *local.Machine) *machine.Machine {
	if m == nil {
		return nil
	}
	out := &machine.Machine{
		ID: m.ID, Address: LocalAddress, CPU: m.CPU, MemoryMiB: m.MemoryMiB,
		PowerState:     machine.PowerState(m.PowerState),
		PortRangeStart: m.PortRangeStart, PortRangeEnd: m.PortRangeEnd, WorkDir: m.WorkDir,
	}
	for _, d := range m.Disks {
		out.Disks = append(out.Disks, machine.Disk{Name: d.Name, SizeGiB: d.SizeGiB})
	}
	out.Disks = machine.SortDisks(out.Disks)
	if o, ok := ownership.Parse(m.Owner); ok {
		out.Owner = &o
	}
	return out
}

// Mark records owner in the machine's machine.json.
func (l *Local) Mark(ctx context.Context, id machine.ID, owner ownership.Owner) error {
	return l.b.Mark(ctx, localID(id), owner.Marker())
}

// Observe returns the machine, or nil when it does not exist.
func (l *Local) Observe(ctx context.Context, id machine.ID) (*machine.Machine, error) {
	m, err := l.b.Observe(ctx, localID(id))
	return fromLocal(m), err
}

// Create makes the machine, or returns it when it exists.
func (l *Local) Create(ctx context.Context, id machine.ID, s machine.Spec) (*machine.Machine, error) {
	m, err := l.b.Create(ctx, localID(id), localSpec(s))
	return fromLocal(m), err
}

// Update brings the machine to the spec.
func (l *Local) Update(ctx context.Context, id machine.ID, s machine.Spec) (*machine.Machine, error) {
	m, err := l.b.Update(ctx, localID(id), localSpec(s))
	return fromLocal(m), err
}

// Delete removes the machine and stops its engines.
func (l *Local) Delete(ctx context.Context, id machine.ID) error {
	return l.b.Delete(ctx, localID(id))
}

// Differences compares exactly: local machines take any CPU and memory.
func (l *Local) Differences(s machine.Spec, m *machine.Machine) []string {
	return machine.Differences(s, m)
}

// rulePath is where a rule's record lives. Its namespace and name are
// tenants' words: each must be a plain name, kept below the rules directory.
func (l *Local) rulePath(id machine.ID) (string, error) {
	p, err := safepath.Join(filepath.Join(l.b.BaseDir(), rulesDir), id.Namespace, id.Name+".json")
	return p, errors.Wrapf(err, errRuleID, id.Namespace, id.Name)
}

// ObserveRule reads the rule's record.
func (l *Local) ObserveRule(_ context.Context, id machine.ID) (*machine.Rule, error) {
	p, err := l.rulePath(id)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrap(err, errReadRule)
	}
	r := &machine.Rule{}
	return r, errors.Wrap(json.Unmarshal(data, r), errReadRule)
}

// CreateRule records the rule.
func (l *Local) CreateRule(_ context.Context, id machine.ID, s machine.RuleSpec) (*machine.Rule, error) {
	r := &machine.Rule{
		ID: id.Namespace + "/" + id.Name, Ports: s.Ports, Protocol: s.Protocol, SourceCIDRs: s.SourceCIDRs,
		SourceTags: s.SourceTags, TargetTags: s.TargetTags, Priority: s.Priority, Owner: &s.Owner,
	}
	data, err := json.Marshal(r)
	if err != nil {
		return nil, errors.Wrap(err, errWriteRule)
	}
	p, err := l.rulePath(id)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, errors.Wrap(err, errWriteRule)
	}
	return r, errors.Wrap(os.WriteFile(p, data, 0o600), errWriteRule)
}

// UpdateRule records the rule anew.
func (l *Local) UpdateRule(ctx context.Context, id machine.ID, s machine.RuleSpec) (*machine.Rule, error) {
	return l.CreateRule(ctx, id, s)
}

// DeleteRule removes the rule's record.
func (l *Local) DeleteRule(_ context.Context, id machine.ID) error {
	p, err := l.rulePath(id)
	if err != nil {
		return err
	}
	err = os.Remove(p)
	if os.IsNotExist(err) {
		return nil
	}
	return errors.Wrap(err, errRemoveRule)
}
