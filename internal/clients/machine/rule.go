package machine

import (
	"context"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
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

	Azure   *v1alpha1.AzureFirewallRuleParameters
	VSphere *v1alpha1.VSphereFirewallRuleParameters
}

// A Rule is the observed state of a firewall rule, in the same terms.
type Rule struct {
	ID          string
	Enforced    bool
	Ports       []int32  // sorted
	Protocol    v1alpha1.Protocol
	SourceCIDRs []string // sorted
	SourceTags  []string // sorted
	TargetTags  []string // sorted
	Priority    int32
	Pending     string
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
