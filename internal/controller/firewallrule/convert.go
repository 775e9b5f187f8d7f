package firewallrule

import (
	"slices"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

// spec is the machine contract's view of the parameters, with lists sorted
// so that backends and comparisons see one order.
func spec(p v1alpha1.FirewallRuleParameters) machine.RuleSpec {
	s := machine.RuleSpec{
		Ports: slices.Clone(p.Ports), Protocol: p.Protocol,
		SourceCIDRs: slices.Clone(p.SourceCIDRs), SourceTags: slices.Clone(p.SourceTags), TargetTags: slices.Clone(p.TargetTags),
		Network: p.Network, Priority: p.Priority, Azure: p.Azure, VSphere: p.VSphere,
	}
	if s.Protocol == "" {
		s.Protocol = v1alpha1.ProtocolTCP
	}
	slices.Sort(s.Ports)
	slices.Sort(s.SourceCIDRs)
	slices.Sort(s.SourceTags)
	slices.Sort(s.TargetTags)
	return s
}

func observation(r *machine.Rule) v1alpha1.FirewallRuleObservation {
	return v1alpha1.FirewallRuleObservation{ID: r.ID, Enforced: r.Enforced, Ports: r.Ports, SourceCIDRs: r.SourceCIDRs}
}
