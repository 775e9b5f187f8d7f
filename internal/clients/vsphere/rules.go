package vsphere

import (
	"context"
	"encoding/json"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

const (
	errRuleRead   = "cannot read the rule record"
	errRuleWrite  = "cannot write the rule record"
	errRuleRemove = "cannot remove the rule record"
	errNoNetwork  = "a vSphere rule names its port group in spec.forProvider.network"

	// ruleFieldPrefix + namespace/name is the custom attribute that keeps a
	// rule's spec on the root folder.
	ruleFieldPrefix = "dbaas.rule:"
)

// ruleRecord is what is kept of a rule: the spec as it was applied.
type ruleRecord struct {
	Network     string            `json:"network"`
	Datacenter  string            `json:"datacenter"`
	Ports       []int32           `json:"ports,omitempty"`
	Protocol    v1alpha1.Protocol `json:"protocol,omitempty"`
	SourceCIDRs []string          `json:"sourceCIDRs,omitempty"`
	SourceTags  []string          `json:"sourceTags,omitempty"`
	TargetTags  []string          `json:"targetTags,omitempty"`
	Priority    int32             `json:"priority,omitempty"`
	// Owner is the marker of the FirewallRule that made the record.
	Owner string `json:"owner,omitempty"`
}

func (r ruleRecord) rule(id machine.ID) *machine.Rule {
	out := &machine.Rule{
		ID: idString(id), Enforced: false, Ports: r.Ports, Protocol: r.Protocol,
		SourceCIDRs: r.SourceCIDRs, SourceTags: r.SourceTags, TargetTags: r.TargetTags, Priority: r.Priority,
	}
	if o, ok := ownership.Parse(r.Owner); ok {
		out.Owner = &o
	}
	return out
}

// ruleField finds the rule's custom attribute and its value on the root
// folder, in one call. key is nil when the attribute does not exist, value
// empty when it has none.
func (b *Backend) ruleField(ctx context.Context, id machine.ID) (*int32, string, error) {
	var root mo.Folder
	if err := property.DefaultCollector(b.c.Client).RetrieveOne(ctx, b.c.ServiceContent.RootFolder, []string{"availableField", "customValue"}, &root); err != nil {
		return nil, "", classify(err, errRuleRead)
	}
	var key *int32
	for _, f := range root.AvailableField {
		if f.Name == ruleFieldPrefix+idString(id) {
			key = &f.Key
		}
	}
	if key == nil {
		return nil, "", nil
	}
	for _, v := range root.CustomValue {
		if s, ok := v.(*types.CustomFieldStringValue); ok && s.Key == *key {
			return key, s.Value, nil
		}
	}
	return key, "", nil
}

// ObserveRule returns the rule as it was last applied, with Enforced
// false; nil when it was never made.
func (b *Backend) ObserveRule(ctx context.Context, id machine.ID) (*machine.Rule, error) {
	_, v, err := b.ruleField(ctx, id)
	if err != nil || v == "" {
		return nil, err
	}
	var r ruleRecord
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return nil, errors.Wrap(err, errRuleRead)
	}
	return r.rule(id), nil
}

// CreateRule checks that the port group exists and records the rule.
func (b *Backend) CreateRule(ctx context.Context, id machine.ID, s machine.RuleSpec) (*machine.Rule, error) {
	return b.applyRule(ctx, id, s)
}

// UpdateRule checks the port group again and records the new spec.
func (b *Backend) UpdateRule(ctx context.Context, id machine.ID, s machine.RuleSpec) (*machine.Rule, error) {
	return b.applyRule(ctx, id, s)
}

func (b *Backend) applyRule(ctx context.Context, id machine.ID, s machine.RuleSpec) (*machine.Rule, error) {
	dc := b.cfg.Datacenter
	if s.VSphere != nil && s.VSphere.Datacenter != "" {
		dc = s.VSphere.Datacenter
	}
	if s.Network == "" {
		return nil, errors.New(errNoNetwork)
	}
	p := placement{Datacenter: dc}
	f := find.NewFinder(b.c.Client, false)
	d, err := f.Datacenter(ctx, p.dcPath())
	if err != nil {
		return nil, b.notFound(err, "datacenter", dc, "looked for "+p.dcPath()+" in "+b.cfg.URL)
	}
	f.SetDatacenter(d)
	if _, err := f.Network(ctx, s.Network); err != nil {
		return nil, b.notFound(err, "port group", s.Network, "looked in "+p.dcPath()+"/network in "+b.cfg.URL)
	}

	rec := ruleRecord{Network: s.Network, Datacenter: dc, Ports: s.Ports, Protocol: s.Protocol,
		SourceCIDRs: s.SourceCIDRs, SourceTags: s.SourceTags, TargetTags: s.TargetTags, Priority: s.Priority,
		Owner: s.Owner.Marker()}
	value, _ := json.Marshal(rec) // Plain fields: cannot fail.

	k, _, err := b.ruleField(ctx, id)
	if err != nil {
		return nil, err
	}
	m := object.NewCustomFieldsManager(b.c.Client)
	var key int32
	if k != nil {
		key = *k
	} else {
		def, err := m.Add(ctx, ruleFieldPrefix+idString(id), "Folder", nil, nil)
		switch {
		case err == nil:
			key = def.Key
		case fault.Is(err, &types.DuplicateName{}):
			if key, err = m.FindKey(ctx, ruleFieldPrefix+idString(id)); err != nil {
				return nil, classify(err, errRuleWrite)
			}
		default:
			return nil, classify(err, errRuleWrite)
		}
	}
	if err := m.Set(ctx, b.c.ServiceContent.RootFolder, key, string(value)); err != nil {
		return nil, classify(err, errRuleWrite)
	}
	return rec.rule(id), nil
}

// DeleteRule removes the rule's record. A missing rule is not an error.
func (b *Backend) DeleteRule(ctx context.Context, id machine.ID) error {
	key, _, err := b.ruleField(ctx, id)
	if err != nil || key == nil {
		return err
	}
	err = object.NewCustomFieldsManager(b.c.Client).Remove(ctx, *key)
	if err != nil && !fault.Is(err, &types.InvalidArgument{}) {
		return classify(err, errRuleRemove)
	}
	return nil
}
