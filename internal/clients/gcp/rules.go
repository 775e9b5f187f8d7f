package gcp

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

const defaultPriority = 1000

// firewall is the VPC firewall rule a rule spec describes: INGRESS,
// allowing the protocol on the ports.
func firewall(id machine.ID, s machine.RuleSpec) *compute.Firewall {
	network := s.Network
	if network == "" {
		network = defaultNetwork
	}
	ports := make([]string, 0, len(s.Ports))
	for _, p := range s.Ports {
		ports = append(ports, strconv.Itoa(int(p)))
	}
	proto := s.Protocol
	if proto == "" {
		proto = v1alpha1.ProtocolTCP
	}
	prio := int64(s.Priority)
	if prio == 0 {
		prio = defaultPriority
	}
	return &compute.Firewall{
		Name: id.Name,
		// Firewall rules have no labels: the owner marker is part of the
		// description.
		Description: "managed by dbaas for namespace " + id.Namespace + "; " + s.Owner.Marker(),
		Network:     ref(network, "global/networks/"),
		Direction:   "INGRESS",
		Allowed:     []*compute.FirewallAllowed{{IPProtocol: strings.ToLower(string(proto)), Ports: ports}},
		// Empty but sent, so that an update clears what the spec dropped.
		SourceRanges:    append([]string{}, s.SourceCIDRs...),
		SourceTags:      append([]string{}, s.SourceTags...),
		TargetTags:      append([]string{}, s.TargetTags...),
		Priority:        prio,
		ForceSendFields: []string{"SourceRanges", "SourceTags", "TargetTags"},
	}
}

// rule reads a firewall rule back in the rule spec's terms.
func rule(fw *compute.Firewall) *machine.Rule {
	r := &machine.Rule{
		ID:          fw.SelfLink,
		Enforced:    !fw.Disabled,
		SourceCIDRs: sorted(fw.SourceRanges),
		SourceTags:  sorted(fw.SourceTags),
		TargetTags:  sorted(fw.TargetTags),
		Priority:    int32(fw.Priority),
	}
	if o, ok := ownership.Parse(fw.Description); ok {
		r.Owner = &o
	}
	if r.ID == "" {
		r.ID = "global/firewalls/" + fw.Name
	}
	for _, a := range fw.Allowed {
		r.Protocol = v1alpha1.Protocol(strings.ToUpper(a.IPProtocol))
		for _, p := range a.Ports {
			lo, hi, _ := strings.Cut(p, "-")
			from, err := strconv.Atoi(lo)
			if err != nil {
				continue
			}
			to := from
			if hi != "" {
				if to, err = strconv.Atoi(hi); err != nil || to-from > 1024 {
					to = from
				}
			}
			for q := from; q <= to; q++ {
				r.Ports = append(r.Ports, int32(q))
			}
		}
	}
	sort.Slice(r.Ports, func(i, j int) bool { return r.Ports[i] < r.Ports[j] })
	return r
}

func sorted(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

// ObserveRule returns the firewall rule, or nil when it does not exist.
func (b *Backend) ObserveRule(ctx context.Context, id machine.ID) (*machine.Rule, error) {
	fw, err := b.svc.Firewalls.Get(b.project, id.Name).Context(ctx).Do()
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, mapError(err, "cannot read firewall rule "+id.Name)
	}
	return rule(fw), nil
}

// CreateRule inserts the firewall rule and looks once at the operation.
func (b *Backend) CreateRule(ctx context.Context, id machine.ID, s machine.RuleSpec) (*machine.Rule, error) {
	if !nameRe.MatchString(id.Name) {
		return nil, fmt.Errorf("%q is not a valid GCP firewall rule name: lowercase letters, digits and '-', starting with a letter, at most 63 characters", id.Name)
	}
	fw := firewall(id, s)
	op, err := b.svc.Firewalls.Insert(b.project, fw).Context(ctx).Do()
	if isConflict(err) {
		return b.ObserveRule(ctx, id)
	}
	if err != nil {
		return nil, mapError(err, "cannot create firewall rule "+id.Name)
	}
	return b.ruleAfter(ctx, id, fw, op, "cannot create firewall rule "+id.Name)
}

// UpdateRule patches the firewall rule to the spec.
func (b *Backend) UpdateRule(ctx context.Context, id machine.ID, s machine.RuleSpec) (*machine.Rule, error) {
	fw := firewall(id, s)
	op, err := b.svc.Firewalls.Patch(b.project, id.Name, fw).Context(ctx).Do()
	if err != nil {
		return nil, mapError(err, "cannot update firewall rule "+id.Name)
	}
	return b.ruleAfter(ctx, id, fw, op, "cannot update firewall rule "+id.Name)
}

// ruleAfter looks once at a rule's operation: a done one is followed by a
// read of the rule, a running one answers the spec as Pending.
func (b *Backend) ruleAfter(ctx context.Context, id machine.ID, fw *compute.Firewall, op *compute.Operation, what string) (*machine.Rule, error) {
	done, err := b.settle(ctx, op, what)
	if err != nil {
		return nil, err
	}
	if done {
		return b.ObserveRule(ctx, id)
	}
	r := rule(fw)
	r.Pending = fmt.Sprintf("operation %s is %s", op.Name, op.Status)
	return r, nil
}

// DeleteRule deletes the firewall rule; a missing one is not an error.
func (b *Backend) DeleteRule(ctx context.Context, id machine.ID) error {
	_, err := b.svc.Firewalls.Delete(b.project, id.Name).Context(ctx).Do()
	if isNotFound(err) {
		return nil
	}
	return mapError(err, "cannot delete firewall rule "+id.Name)
}
