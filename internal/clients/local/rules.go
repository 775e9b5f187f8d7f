package local

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/safepath"
)

const (
	errReadRule   = "cannot read the local rule record"
	errWriteRule  = "cannot write the local rule record"
	errRemoveRule = "cannot remove the local rule record"
	errRuleID     = "rule %s/%s cannot be a local rule; its namespace and external name must be DNS-1123 names"

	// rulesDir holds the local backend's rule records beside its
	// machines. A namespace cannot start with a dot, so it never clashes
	// with a namespace's machine directory.
	rulesDir = ".rules"
)

// rulePath is where a rule's record lives. Its namespace and name are
// tenants' words: each must be a plain name, kept below the rules directory.
func (b *Backend) rulePath(id machine.ID) (string, error) {
	p, err := safepath.Join(filepath.Join(b.baseDir, rulesDir), id.Namespace, id.Name+".json")
	return p, errors.Wrapf(err, errRuleID, id.Namespace, id.Name)
}

// ObserveRule reads the rule's record.
func (b *Backend) ObserveRule(_ context.Context, id machine.ID) (*machine.Rule, error) {
	p, err := b.rulePath(id)
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
func (b *Backend) CreateRule(_ context.Context, id machine.ID, s machine.RuleSpec) (*machine.Rule, error) {
	r := &machine.Rule{
		ID: id.Namespace + "/" + id.Name, Ports: s.Ports, Protocol: s.Protocol, SourceCIDRs: s.SourceCIDRs,
		SourceTags: s.SourceTags, TargetTags: s.TargetTags, Priority: s.Priority, Owner: &s.Owner,
	}
	data, err := json.Marshal(r)
	if err != nil {
		return nil, errors.Wrap(err, errWriteRule)
	}
	p, err := b.rulePath(id)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, errors.Wrap(err, errWriteRule)
	}
	return r, errors.Wrap(os.WriteFile(p, data, 0o600), errWriteRule)
}

// UpdateRule records the rule anew.
func (b *Backend) UpdateRule(ctx context.Context, id machine.ID, s machine.RuleSpec) (*machine.Rule, error) {
	return b.CreateRule(ctx, id, s)
}

// DeleteRule removes the rule's record.
func (b *Backend) DeleteRule(_ context.Context, id machine.ID) error {
	p, err := b.rulePath(id)
	if err != nil {
		return err
	}
	err = os.Remove(p)
	if os.IsNotExist(err) {
		return nil
	}
	return errors.Wrap(err, errRemoveRule)
}
