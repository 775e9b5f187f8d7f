// This file holds the DRS VM anti-affinity rules that keep the machines of
// one group on different hosts: a machine joins its group's rule
// dbaas-<group> when it is made and leaves it when it is deleted, and the
// rule is removed with its last machine. What to change is decided from the
// cluster's rules alone (joinRule, leaveRules), then sent in one
// reconfigure of the cluster.

package vsphere

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
)

const (
	// rulePrefix starts the name of every rule this backend makes; rules
	// named otherwise are the vSphere admins' and are never changed.
	rulePrefix = "dbaas-"

	errRules     = "cannot read the cluster's DRS rules"
	errSetRules  = "cannot change the cluster's DRS rules"
	errNoCluster = "machine %s is not in a DRS cluster, so anti-affinity group %s cannot keep it apart: place it in a cluster with vsphere.cluster or the provider config's cluster"
	errNotAnti   = "DRS rule %s exists and is not a VM anti-affinity rule: rename that rule or pick another antiAffinityGroup"
)

// ruleName is the DRS rule of an anti-affinity group.
func ruleName(group string) string { return rulePrefix + group }

// rulesMu serialises the read-modify-write of one cluster's rules within
// this provider: two machines of a group are usually made at once, and a
// reconfigure carries the whole member list, so the second would otherwise
// overwrite the first.
var rulesMu sync.Map // url + cluster reference → *sync.Mutex

func (b *Backend) lockRules(cl types.ManagedObjectReference) func() {
	mu, _ := rulesMu.LoadOrStore(b.cfg.URL+"/"+cl.Value, &sync.Mutex{})
	m := mu.(*sync.Mutex)
	m.Lock()
	return m.Unlock
}

// clusterOf is the cluster a machine runs in: the owner of its resource
// pool, read with the machine. nil for a machine on a standalone host,
// which has no DRS.
func (b *Backend) clusterOf(ctx context.Context, mv *mo.VirtualMachine) (*object.ClusterComputeResource, error) {
	if mv.ResourcePool == nil {
		return nil, nil
	}
	var pool mo.ResourcePool
	if err := property.DefaultCollector(b.c.Client).RetrieveOne(ctx, *mv.ResourcePool, []string{"owner"}, &pool); err != nil {
		return nil, classify(err, errRules)
	}
	if pool.Owner.Type != "ClusterComputeResource" {
		return nil, nil
	}
	return object.NewClusterComputeResource(b.c.Client, pool.Owner), nil
}

// rules are the cluster's DRS rules.
func (b *Backend) rules(ctx context.Context, cl *object.ClusterComputeResource) ([]types.BaseClusterRuleInfo, error) {
	var mc mo.ClusterComputeResource
	if err := property.DefaultCollector(b.c.Client).RetrieveOne(ctx, cl.Reference(), []string{"configurationEx"}, &mc); err != nil {
		return nil, classify(err, errRules)
	}
	info, ok := mc.ConfigurationEx.(*types.ClusterConfigInfoEx)
	if !ok {
		return nil, nil
	}
	return info.Rule, nil
}

// setRules sends the rule changes in one reconfigure of the cluster;
// modify true merges them into the cluster's configuration.
func (b *Backend) setRules(ctx context.Context, cl *object.ClusterComputeResource, specs []types.ClusterRuleSpec) error {
	if len(specs) == 0 {
		return nil
	}
	task, err := cl.Reconfigure(ctx, &types.ClusterConfigSpecEx{RulesSpec: specs}, true)
	if err == nil {
		_, err = task.WaitForResult(ctx)
	}
	return classify(err, errSetRules)
}

// join puts the machine in its group's rule.
func (b *Backend) join(ctx context.Context, name string, mv *mo.VirtualMachine, group string) error {
	cl, err := b.clusterOf(ctx, mv)
	if err != nil {
		return err
	}
	if cl == nil {
		return errors.Errorf(errNoCluster, name, group)
	}
	defer b.lockRules(cl.Reference())()
	rules, err := b.rules(ctx, cl)
	if err != nil {
		return err
	}
	spec, err := joinRule(rules, group, mv.Self)
	if err != nil {
		return errors.Wrapf(err, "cluster %s", cl.Reference().Value)
	}
	if spec == nil {
		return nil
	}
	return b.setRules(ctx, cl, []types.ClusterRuleSpec{*spec})
}

// antiAffinityGroup is the group a spec puts the machine in; empty for
// none.
func antiAffinityGroup(p *v1alpha1.VSphereMachineParameters) string {
	if p == nil {
		return ""
	}
	return p.AntiAffinityGroup
}

// leave takes the machine out of this backend's rules. Every machine is
// looked for, not only those whose ExtraConfig names a group: a machine put
// in its rule by Update after it was made has none.
func (b *Backend) leave(ctx context.Context, mv *mo.VirtualMachine) error {
	cl, err := b.clusterOf(ctx, mv)
	if err != nil || cl == nil {
		return err
	}
	defer b.lockRules(cl.Reference())()
	rules, err := b.rules(ctx, cl)
	if err != nil {
		return err
	}
	return b.setRules(ctx, cl, leaveRules(rules, mv.Self))
}

// checkRule looks whether a machine whose ExtraConfig names an
// anti-affinity group is in the group's rule, and remembers it for
// Differences when it is not. Machines without a group cost no call.
func (b *Backend) checkRule(ctx context.Context, mv *mo.VirtualMachine) error {
	group := groupOf(mv)
	if group == "" {
		return nil
	}
	cl, err := b.clusterOf(ctx, mv)
	if err != nil {
		return err
	}
	in := false
	if cl != nil {
		rules, err := b.rules(ctx, cl)
		if err != nil {
			return err
		}
		spec, err := joinRule(rules, group, mv.Self)
		in = err == nil && spec == nil
	}
	if in {
		b.outside.Delete(mv.Self.Value)
	} else {
		b.outside.Store(mv.Self.Value, group)
	}
	return nil
}

// groupOf is the anti-affinity group a machine's ExtraConfig names.
func groupOf(mv *mo.VirtualMachine) string {
	if mv.Config == nil {
		return ""
	}
	for _, o := range mv.Config.ExtraConfig {
		if v := o.GetOptionValue(); v != nil && v.Key == keyGroup {
			if s, ok := v.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}

// joinRule is the change that puts vm in group's rule: the rule made with
// vm alone when the group has none yet, the rule with vm added, or nil
// when vm is a member already.
func joinRule(rules []types.BaseClusterRuleInfo, group string, vm types.ManagedObjectReference) (*types.ClusterRuleSpec, error) {
	name := ruleName(group)
	for _, r := range rules {
		info := r.GetClusterRuleInfo()
		if info.Name != name {
			continue
		}
		anti, ok := r.(*types.ClusterAntiAffinityRuleSpec)
		if !ok {
			return nil, errors.Errorf(errNotAnti, name)
		}
		if slices.Contains(anti.Vm, vm) {
			return nil, nil
		}
		// An edit names the rule by its key and carries its whole member
		// list.
		edited := *anti
		edited.Vm = append(slices.Clone(anti.Vm), vm)
		return &types.ClusterRuleSpec{ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationEdit}, Info: &edited}, nil
	}
	return &types.ClusterRuleSpec{
		ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationAdd},
		Info: &types.ClusterAntiAffinityRuleSpec{
			ClusterRuleInfo: types.ClusterRuleInfo{Name: name, Enabled: types.NewBool(true)},
			Vm:              []types.ManagedObjectReference{vm},
		},
	}, nil
}

// leaveRules are the changes that take vm out of every rule of this
// backend that holds it: a rule keeps its other members, and a rule vm was
// the last member of is removed.
func leaveRules(rules []types.BaseClusterRuleInfo, vm types.ManagedObjectReference) []types.ClusterRuleSpec {
	var out []types.ClusterRuleSpec
	for _, r := range rules {
		anti, ok := r.(*types.ClusterAntiAffinityRuleSpec)
		if !ok || !strings.HasPrefix(anti.Name, rulePrefix) || !slices.Contains(anti.Vm, vm) {
			continue
		}
		rest := slices.DeleteFunc(slices.Clone(anti.Vm), func(m types.ManagedObjectReference) bool { return m == vm })
		if len(rest) == 0 {
			out = append(out, types.ClusterRuleSpec{ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationRemove, RemoveKey: anti.Key}})
			continue
		}
		edited := *anti
		edited.Vm = rest
		out = append(out, types.ClusterRuleSpec{ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationEdit}, Info: &edited})
	}
	return out
}
