package azure

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

const (
	errNoNSG        = "an Azure firewall rule needs azure.networkSecurityGroup: the network security group it is a rule of"
	errSourceTags   = "the Azure backend does not support sourceTags (application security groups); name sourceCIDRs instead"
	errTargetTags   = "the Azure backend does not support targetTags: a security rule applies to every machine its network security group covers"
	defaultPriority = 1000
)

// ruleGroup is where a rule lives: the spec's resource group or the
// provider config's, and the spec's network security group.
func (b *Backend) rulePlace(s machine.RuleSpec) (place, error) {
	if s.Azure == nil || s.Azure.NetworkSecurityGroup == "" {
		return place{}, errors.New(errNoNSG)
	}
	if len(s.SourceTags) > 0 {
		return place{}, errors.New(errSourceTags)
	}
	if len(s.TargetTags) > 0 {
		return place{}, errors.New(errTargetTags)
	}
	p := place{group: b.group, nsg: s.Azure.NetworkSecurityGroup}
	if s.Azure.ResourceGroup != "" {
		p.group = s.Azure.ResourceGroup
	}
	return p, nil
}

// findRule returns where a rule is: where this process made it, or else
// the network security group of the provider config's resource group that
// holds a rule of that name made by this backend for the namespace.
func (b *Backend) findRule(ctx context.Context, id machine.ID) (place, bool, error) {
	if p, ok := b.placeOf(id); ok && p.nsg != "" {
		return p, true, nil
	}
	pager := b.nsgs.NewListPager(b.group, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if notFound(err) {
			return place{}, false, nil
		}
		if err != nil {
			return place{}, false, classify(err, "cannot list network security groups", refs{group: b.group})
		}
		for _, nsg := range page.Value {
			if nsg == nil || nsg.Properties == nil {
				continue
			}
			for _, r := range nsg.Properties.SecurityRules {
				if r != nil && deref(r.Name) == id.Name && r.Properties != nil && madeFor(deref(r.Properties.Description), id.Namespace) {
					p := place{group: b.group, nsg: deref(nsg.Name)}
					b.remember(id, p)
					return p, true, nil
				}
			}
		}
	}
	return place{}, false, nil
}

// ObserveRule returns the security rule, or nil when it does not exist.
func (b *Backend) ObserveRule(ctx context.Context, id machine.ID) (*machine.Rule, error) {
	p, ok, err := b.findRule(ctx, id)
	if err != nil || !ok {
		return nil, err
	}
	got, err := b.rules.Get(ctx, p.group, p.nsg, id.Name, nil)
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, "cannot read security rule "+id.Name, refs{group: p.group, nsg: p.nsg})
	}
	return ruleOf(&got.SecurityRule)
}

// CreateRule makes the security rule. A rule of that name in the network
// security group is returned as it is, with its owner marker, and not
// replaced: the caller decides whether it is the resource's.
func (b *Backend) CreateRule(ctx context.Context, id machine.ID, s machine.RuleSpec) (*machine.Rule, error) {
	p, err := b.rulePlace(s)
	if err != nil {
		return nil, err
	}
	got, err := b.rules.Get(ctx, p.group, p.nsg, id.Name, nil)
	switch {
	case err == nil:
		return ruleOf(&got.SecurityRule)
	case !notFound(err):
		return nil, classify(err, "cannot read security rule "+id.Name, refs{group: p.group, nsg: p.nsg})
	}
	return b.putRule(ctx, id, s)
}

// madeFor reports whether a security rule's description says this
// backend made it for the namespace: an owner marker of the namespace, or
// the namespace marker rules carried before owner markers.
func madeFor(description, namespace string) bool {
	if o, ok := ownership.Parse(description); ok {
		return o.Namespace == namespace
	}
	return description == ruleMarker+namespace
}

// UpdateRule replaces the security rule with the spec.
func (b *Backend) UpdateRule(ctx context.Context, id machine.ID, s machine.RuleSpec) (*machine.Rule, error) {
	return b.putRule(ctx, id, s)
}

func (b *Backend) putRule(ctx context.Context, id machine.ID, s machine.RuleSpec) (*machine.Rule, error) {
	p, err := b.rulePlace(s)
	if err != nil {
		return nil, err
	}
	b.remember(id, p)
	r := refs{group: p.group, nsg: p.nsg}
	proto := armnetwork.SecurityRuleProtocolTCP
	if s.Protocol == v1alpha1.ProtocolUDP {
		proto = armnetwork.SecurityRuleProtocolUDP
	}
	prio := s.Priority
	if prio == 0 {
		prio = defaultPriority
	}
	ports := make([]*string, 0, len(s.Ports))
	for _, port := range s.Ports {
		ports = append(ports, to.Ptr(strconv.Itoa(int(port))))
	}
	cidrs := make([]*string, 0, len(s.SourceCIDRs))
	for _, c := range s.SourceCIDRs {
		cidrs = append(cidrs, to.Ptr(c))
	}
	rule := armnetwork.SecurityRule{Properties: &armnetwork.SecurityRulePropertiesFormat{
		Description:              to.Ptr(ruleMarker + id.Namespace + " " + s.Owner.Marker()),
		Access:                   to.Ptr(armnetwork.SecurityRuleAccessAllow),
		Direction:                to.Ptr(armnetwork.SecurityRuleDirectionInbound),
		Protocol:                 to.Ptr(proto),
		Priority:                 to.Ptr(prio),
		SourcePortRange:          to.Ptr("*"),
		SourceAddressPrefixes:    cidrs,
		DestinationAddressPrefix: to.Ptr("*"),
		DestinationPortRanges:    ports,
	}}
	poller, err := b.rules.BeginCreateOrUpdate(ctx, p.group, p.nsg, id.Name, rule, nil)
	if err != nil {
		return nil, classify(err, "cannot write security rule "+id.Name, r)
	}
	if poller.Done() {
		res, err := poller.Result(ctx)
		if err != nil {
			return nil, classify(err, "cannot write security rule "+id.Name, r)
		}
		return ruleOf(&res.SecurityRule)
	}
	// Not waited for: the next ObserveRule follows its provisioning state.
	out, err := ruleOf(&rule)
	if err != nil {
		return nil, err
	}
	out.Pending = "provisioning state Updating"
	return out, nil
}

// DeleteRule starts the security rule's delete; ObserveRule reports it
// until it is gone.
func (b *Backend) DeleteRule(ctx context.Context, id machine.ID) error {
	p, ok, err := b.findRule(ctx, id)
	if err != nil || !ok {
		return err
	}
	_, err = b.rules.BeginDelete(ctx, p.group, p.nsg, id.Name, nil)
	if notFound(err) {
		return nil
	}
	return classify(err, "cannot delete security rule "+id.Name, refs{group: p.group, nsg: p.nsg})
}

func ruleOf(sr *armnetwork.SecurityRule) (*machine.Rule, error) {
	p := sr.Properties
	if p == nil {
		return nil, fmt.Errorf("security rule %s has no properties", deref(sr.Name))
	}
	out := &machine.Rule{ID: deref(sr.ID), Enforced: true, Priority: deref(p.Priority), Protocol: v1alpha1.ProtocolTCP}
	// Security rules have no tags: the owner marker is in the description.
	if o, ok := ownership.Parse(deref(p.Description)); ok {
		out.Owner = &o
	}
	if deref(p.Protocol) == armnetwork.SecurityRuleProtocolUDP {
		out.Protocol = v1alpha1.ProtocolUDP
	}
	if st := deref(p.ProvisioningState); st != "" && st != armnetwork.ProvisioningStateSucceeded {
		out.Pending = "provisioning state " + string(st)
	}
	ranges := append([]*string{}, p.DestinationPortRanges...)
	if p.DestinationPortRange != nil {
		ranges = append(ranges, p.DestinationPortRange)
	}
	for _, r := range ranges {
		port, err := strconv.Atoi(deref(r))
		if err != nil {
			return nil, fmt.Errorf("security rule %s allows port range %q, which this provider does not manage", deref(sr.Name), deref(r))
		}
		out.Ports = append(out.Ports, int32(port))
	}
	sort.Slice(out.Ports, func(i, j int) bool { return out.Ports[i] < out.Ports[j] })
	prefixes := append([]*string{}, p.SourceAddressPrefixes...)
	if p.SourceAddressPrefix != nil {
		prefixes = append(prefixes, p.SourceAddressPrefix)
	}
	for _, c := range prefixes {
		out.SourceCIDRs = append(out.SourceCIDRs, deref(c))
	}
	sort.Strings(out.SourceCIDRs)
	for _, g := range p.SourceApplicationSecurityGroups {
		if g != nil {
			id := deref(g.ID)
			out.SourceTags = append(out.SourceTags, id[strings.LastIndex(id, "/")+1:])
		}
	}
	sort.Strings(out.SourceTags)
	return out, nil
}
