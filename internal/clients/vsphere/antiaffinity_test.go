package vsphere

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/vsphere/vspherefake"
)

func vmRef(id string) types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "VirtualMachine", Value: id}
}

func antiRule(key int32, name string, vms ...string) *types.ClusterAntiAffinityRuleSpec {
	r := &types.ClusterAntiAffinityRuleSpec{ClusterRuleInfo: types.ClusterRuleInfo{Key: key, Name: name, Enabled: types.NewBool(true)}}
	for _, v := range vms {
		r.Vm = append(r.Vm, vmRef(v))
	}
	return r
}

func TestJoinRule(t *testing.T) {
	type want struct {
		spec *types.ClusterRuleSpec
		err  bool
	}
	cases := map[string]struct {
		reason string
		rules  []types.BaseClusterRuleInfo
		want   want
	}{
		"FirstMember": {
			reason: "A group without a rule gets one with the machine alone.",
			rules:  []types.BaseClusterRuleInfo{antiRule(1, "admins-rule", "vm-1")},
			want: want{spec: &types.ClusterRuleSpec{ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationAdd},
				Info: antiRule(0, "dbaas-orders", "vm-9")}},
		},
		"SecondMember": {
			reason: "The group's rule is edited, by key, with its members and the machine.",
			rules:  []types.BaseClusterRuleInfo{antiRule(4, "dbaas-orders", "vm-1")},
			want: want{spec: &types.ClusterRuleSpec{ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationEdit},
				Info: antiRule(4, "dbaas-orders", "vm-1", "vm-9")}},
		},
		"AlreadyMember": {
			reason: "A machine in its rule changes nothing.",
			rules:  []types.BaseClusterRuleInfo{antiRule(4, "dbaas-orders", "vm-9", "vm-1")},
		},
		"NameTakenByAnAffinityRule": {
			reason: "A rule of another kind with the group's name is not taken over.",
			rules: []types.BaseClusterRuleInfo{&types.ClusterAffinityRuleSpec{
				ClusterRuleInfo: types.ClusterRuleInfo{Key: 2, Name: "dbaas-orders"}, Vm: []types.ManagedObjectReference{vmRef("vm-1")}}},
			want: want{err: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := joinRule(tc.rules, "orders", vmRef("vm-9"))
			if (err != nil) != tc.want.err {
				t.Fatalf("%s\njoinRule(...): error %v, want error %v", tc.reason, err, tc.want.err)
			}
			if diff := cmp.Diff(tc.want.spec, got); diff != "" {
				t.Errorf("%s\njoinRule(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestLeaveRules(t *testing.T) {
	cases := map[string]struct {
		reason string
		rules  []types.BaseClusterRuleInfo
		want   []types.ClusterRuleSpec
	}{
		"OthersStay": {
			reason: "The machine leaves its rule; the other members stay.",
			rules:  []types.BaseClusterRuleInfo{antiRule(4, "dbaas-orders", "vm-1", "vm-9", "vm-2")},
			want: []types.ClusterRuleSpec{{ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationEdit},
				Info: antiRule(4, "dbaas-orders", "vm-1", "vm-2")}},
		},
		"LastMember": {
			reason: "A rule goes with its last machine.",
			rules:  []types.BaseClusterRuleInfo{antiRule(4, "dbaas-orders", "vm-9")},
			want:   []types.ClusterRuleSpec{{ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationRemove, RemoveKey: int32(4)}}},
		},
		"AdminsRulesUntouched": {
			reason: "Rules this backend did not make keep the machine; rules without it are not touched.",
			rules: []types.BaseClusterRuleInfo{
				antiRule(1, "keep-apart", "vm-9", "vm-1"),
				antiRule(2, "dbaas-billing", "vm-1", "vm-2"),
				&types.ClusterAffinityRuleSpec{ClusterRuleInfo: types.ClusterRuleInfo{Key: 3, Name: "dbaas-together"}, Vm: []types.ManagedObjectReference{vmRef("vm-9")}},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, leaveRules(tc.rules, vmRef("vm-9"))); diff != "" {
				t.Errorf("%s\nleaveRules(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// clusterRules reads the rig's cluster's DRS rules straight from vcsim, by
// name, with their members' IDs.
func clusterRules(t *testing.T, rig *vspherefake.Rig) map[string][]string {
	t.Helper()
	ctx := context.Background()
	f := find.NewFinder(rig.Client().Client, false)
	cl, err := f.ClusterComputeResource(ctx, "/"+vspherefake.Datacenter+"/host/"+vspherefake.Cluster)
	if err != nil {
		t.Fatal(err)
	}
	var mc mo.ClusterComputeResource
	if err := property.DefaultCollector(rig.Client().Client).RetrieveOne(ctx, cl.Reference(), []string{"configurationEx"}, &mc); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range mc.ConfigurationEx.(*types.ClusterConfigInfoEx).Rule {
		anti, ok := r.(*types.ClusterAntiAffinityRuleSpec)
		if !ok {
			continue
		}
		vms := []string{}
		for _, v := range anti.Vm {
			vms = append(vms, v.Value)
		}
		out[anti.Name] = vms
	}
	return out
}

// TestAntiAffinityGroup makes two machines of one group at once and checks,
// in vcsim, that the group's rule holds both; deleting one leaves the
// other, and deleting the last removes the rule.
func TestAntiAffinityGroup(t *testing.T) {
	rig, b := start(t)
	ctx := context.Background()
	s := spec(rig)
	s.VSphere = &v1alpha1.VSphereMachineParameters{AntiAffinityGroup: "orders"}
	ids := []machine.ID{{Namespace: "team-a", Name: "orders-1"}, {Namespace: "team-a", Name: "orders-2"}}

	made := make([]*machine.Machine, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { made[i], errs[i] = b.Create(ctx, id, s) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Create %s: %v", ids[i].Name, err)
		}
		if made[i].PowerState != machine.PowerOn {
			t.Errorf("%s is %s after Create, want it powered on once in its rule", ids[i].Name, made[i].PowerState)
		}
	}
	// The single machine without a group stays out of every rule.
	if _, err := b.Create(ctx, machine.ID{Namespace: "team-a", Name: "loner"}, spec(rig)); err != nil {
		t.Fatal(err)
	}

	got := clusterRules(t, rig)
	if diff := cmp.Diff([]string{made[0].ID, made[1].ID}, got["dbaas-orders"], cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("rule dbaas-orders after two creates: -want +got:\n%s", diff)
	}
	if len(got) != 1 {
		t.Errorf("rules %v, want dbaas-orders alone", got)
	}

	if err := b.Delete(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]string{"dbaas-orders": {made[1].ID}}, clusterRules(t, rig)); diff != "" {
		t.Errorf("rules after deleting %s: -want +got:\n%s", ids[0].Name, diff)
	}

	if err := b.Delete(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	if got := clusterRules(t, rig); len(got) != 0 {
		t.Errorf("rules after deleting the group's last machine: %v, want none", got)
	}
}

// TestAntiAffinityRuleRestored takes a machine out of its rule behind the
// backend's back, as a create cut short after the clone or an admin would:
// Differences names the rule and Update puts the machine back.
func TestAntiAffinityRuleRestored(t *testing.T) {
	rig, b := start(t)
	ctx := context.Background()
	s := spec(rig)
	s.VSphere = &v1alpha1.VSphereMachineParameters{AntiAffinityGroup: "orders"}
	id := machine.ID{Namespace: "team-a", Name: "orders-1"}
	if _, err := b.Create(ctx, id, s); err != nil {
		t.Fatal(err)
	}
	m := observeUntil(t, b, id, func(m *machine.Machine) bool { return m.Address != "" })
	if d := b.Differences(s, m); len(d) != 0 {
		t.Fatalf("Differences of a machine in its rule: %v, want none", d)
	}

	cl, err := find.NewFinder(rig.Client().Client, false).ClusterComputeResource(ctx, "/"+vspherefake.Datacenter+"/host/"+vspherefake.Cluster)
	if err != nil {
		t.Fatal(err)
	}
	var mc mo.ClusterComputeResource
	if err := property.DefaultCollector(rig.Client().Client).RetrieveOne(ctx, cl.Reference(), []string{"configurationEx"}, &mc); err != nil {
		t.Fatal(err)
	}
	key := mc.ConfigurationEx.(*types.ClusterConfigInfoEx).Rule[0].GetClusterRuleInfo().Key
	task, err := cl.Reconfigure(ctx, &types.ClusterConfigSpecEx{RulesSpec: []types.ClusterRuleSpec{
		{ArrayUpdateSpec: types.ArrayUpdateSpec{Operation: types.ArrayUpdateOperationRemove, RemoveKey: key}},
	}}, true)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}

	if m, err = b.Observe(ctx, id); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"not in the anti-affinity rule dbaas-orders"}, b.Differences(s, m)); diff != "" {
		t.Errorf("Differences of a machine out of its rule: -want +got:\n%s", diff)
	}
	if _, err := b.Update(ctx, id, s); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]string{"dbaas-orders": {m.ID}}, clusterRules(t, rig)); diff != "" {
		t.Errorf("rules after Update: -want +got:\n%s", diff)
	}
	if m, err = b.Observe(ctx, id); err != nil {
		t.Fatal(err)
	}
	if d := b.Differences(s, m); len(d) != 0 {
		t.Errorf("Differences after Update: %v, want none", d)
	}
}

// TestAntiAffinityOnStandaloneHost checks that a group a standalone host
// cannot honour is refused with a message, at the create and at every
// update after it, rather than forgotten once the machine exists.
func TestAntiAffinityOnStandaloneHost(t *testing.T) {
	rig, b := start(t)
	ctx := context.Background()
	s := spec(rig)
	s.VSphere = &v1alpha1.VSphereMachineParameters{AntiAffinityGroup: "orders", ResourcePool: "/" + vspherefake.Datacenter + "/host/DC0_H0/Resources"}
	id := machine.ID{Namespace: "team-a", Name: "orders-1"}
	const want = "is not in a DRS cluster"
	if _, err := b.Create(ctx, id, s); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Create: %v, want an error saying the machine %s", err, want)
	}
	m, err := b.Observe(ctx, id)
	if err != nil || m == nil {
		t.Fatalf("Observe: %v, %v", m, err)
	}
	if d := b.Differences(s, m); !slices.Contains(d, "not in the anti-affinity rule dbaas-orders") {
		t.Errorf("Differences: %v, want the rule named", d)
	}
	if _, err := b.Update(ctx, id, s); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Update: %v, want an error saying the machine %s", err, want)
	}
}
