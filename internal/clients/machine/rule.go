package machine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// A RuleSpec is the desired state of a firewall rule.
type RuleSpec struct {
	Ports       []int32 // sorted
	Protocol    v1alpha1.Protocol
	SourceCIDRs []string // sorted
	SourceTags  []string // sorted
	TargetTags  []string // sorted
	Network     string
	Priority    int32

	// Owner is written on the rule (a label, or its description where the
	// backend has no labels); Rule.Owner reads it back. UpdateRule writes
	// it too, which is how an imported rule is marked.
	Owner ownership.Owner

	Azure   *v1alpha1.AzureFirewallRuleParameters
	VSphere *v1alpha1.VSphereFirewallRuleParameters
}

// A Rule is the observed state of a firewall rule, in the same terms.
type Rule struct {
	ID          string
	Enforced    bool
	Ports       []int32 // sorted
	Protocol    v1alpha1.Protocol
	SourceCIDRs []string // sorted
	SourceTags  []string // sorted
	TargetTags  []string // sorted
	Priority    int32
	Pending     string
	// Owner is the owner marker found on the rule; nil when it has none.
	Owner *ownership.Owner
}

// Rules manages firewall rules on one backend, with the same meaning of
// each method as Machines.
type Rules interface {
	ObserveRule(ctx context.Context, id ID) (*Rule, error)
	CreateRule(ctx context.Context, id ID, s RuleSpec) (*Rule, error)
	UpdateRule(ctx context.Context, id ID, s RuleSpec) (*Rule, error)
	DeleteRule(ctx context.Context, id ID) error
}

// A Backend drives machines and their rules.
type Backend interface {
	Machines
	Rules
}

// RuleDifferences lists, for people, where a rule differs from its spec.
// Ports and address lists compare as sets; backends return them sorted.
func RuleDifferences(s RuleSpec, r *Rule) []string {
	var out []string
	if !slices.Equal(sortedInts(s.Ports), sortedInts(r.Ports)) {
		out = append(out, fmt.Sprintf("ports %v, want %v", r.Ports, s.Ports))
	}
	if r.Protocol != "" && s.Protocol != "" && !strings.EqualFold(string(r.Protocol), string(s.Protocol)) {
		out = append(out, fmt.Sprintf("protocol %s, want %s", r.Protocol, s.Protocol))
	}
	for _, l := range []struct {
		what       string
		want, have []string
	}{{"sourceCIDRs", s.SourceCIDRs, r.SourceCIDRs}, {"sourceTags", s.SourceTags, r.SourceTags}, {"targetTags", s.TargetTags, r.TargetTags}} {
		if !slices.Equal(sortedStrings(l.want), sortedStrings(l.have)) {
			out = append(out, fmt.Sprintf("%s %v, want %v", l.what, l.have, l.want))
		}
	}
	if r.Priority != 0 && s.Priority != 0 && r.Priority != s.Priority {
		out = append(out, fmt.Sprintf("priority %d, want %d", r.Priority, s.Priority))
	}
	return out
}

func sortedInts(in []int32) []int32 {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
}

func sortedStrings(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
}
