/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package fn

import (
	"slices"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
)

// enginePorts are the ports engines take connections on.
var enginePorts = map[string]int32{
	"postgresql": 5432,
}

// rulePriority is the FirewallRule's own default, set because the SDK sends
// a zero priority rather than leaving it out. Rules of several databases in
// one Azure network security group share it, which Azure refuses for rules
// that differ; the rules of one environment are the same but for their
// name, which Azure accepts.
const rulePriority = 1000

// composeFirewall returns the rule that lets the environment's clients reach
// the engine's port, or nil where the environment names no firewall or the
// engine's port is not known.
//
// The rule names no target tags: no backend gives its machines network tags
// yet (GCP machines carry their tags as labels), so a rule with target tags
// would reach no machine. It covers the machines of its network instead:
// every machine of the VPC network on GCP, of the network security group on
// Azure, of the port group on vSphere.
func composeFirewall(t target, s selection) *computev1alpha1.FirewallRule {
	fw := s.Environment.Firewall
	port, ok := enginePorts[s.Engine.Name]
	if fw == nil || !ok {
		return nil
	}
	return &computev1alpha1.FirewallRule{
		ObjectMeta: t.meta(nameFirewall),
		Spec: computev1alpha1.FirewallRuleSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: providerConfig(s.Environment.ProviderConfigRef)},
			ForProvider: computev1alpha1.FirewallRuleParameters{
				Ports:       []int32{port},
				Protocol:    computev1alpha1.ProtocolTCP,
				SourceCIDRs: slices.Clone(fw.SourceCIDRs),
				SourceTags:  slices.Clone(fw.SourceTags),
				Network:     s.Environment.Network,
				Priority:    rulePriority,
				Azure:       fw.Azure.DeepCopy(),
				VSphere:     fw.VSphere.DeepCopy(),
			},
		},
	}
}
