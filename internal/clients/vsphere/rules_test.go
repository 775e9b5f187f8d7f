// These tests are of FirewallRules as port-group placement.

package vsphere

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/vsphere/vspherefake"
)

func TestRules(t *testing.T) {
	_, b := start(t)
	ctx := context.Background()
	for _, network := range []string{vspherefake.PortGroup, vspherefake.DVPortGrp} {
		t.Run(network, func(t *testing.T) {
			id := machine.ID{Namespace: "ns", Name: "allow-" + strings.ReplaceAll(strings.ToLower(network), " ", "-")}
			s := machine.RuleSpec{Ports: []int32{5432}, Protocol: v1alpha1.ProtocolTCP, SourceCIDRs: []string{"10.0.0.0/8"}, Network: network, Priority: 1000}
			if r, err := b.ObserveRule(ctx, id); err != nil || r != nil {
				t.Fatalf("ObserveRule before Create: %+v, %v", r, err)
			}
			r, err := b.CreateRule(ctx, id, s)
			if err != nil {
				t.Fatal(err)
			}
			if r.Enforced || len(machine.RuleDifferences(s, r)) != 0 {
				t.Errorf("CreateRule: %+v", r)
			}
			if r, err = b.ObserveRule(ctx, id); err != nil || r == nil || r.Enforced || len(machine.RuleDifferences(s, r)) != 0 {
				t.Errorf("ObserveRule: %+v, %v", r, err)
			}
			s.Ports = []int32{5432, 6432}
			if _, err := b.UpdateRule(ctx, id, s); err != nil {
				t.Fatal(err)
			}
			if r, err = b.ObserveRule(ctx, id); err != nil || !cmp.Equal(r.Ports, s.Ports) {
				t.Errorf("ObserveRule after Update: %+v, %v", r, err)
			}
			if err := b.DeleteRule(ctx, id); err != nil {
				t.Fatal(err)
			}
			if r, err = b.ObserveRule(ctx, id); err != nil || r != nil {
				t.Errorf("ObserveRule after Delete: %+v, %v", r, err)
			}
			if err := b.DeleteRule(ctx, id); err != nil {
				t.Errorf("second DeleteRule: %v", err)
			}
		})
	}
	t.Run("MissingPortGroup", func(t *testing.T) {
		id := machine.ID{Namespace: "ns", Name: "nowhere"}
		_, err := b.CreateRule(ctx, id, machine.RuleSpec{Ports: []int32{5432}, Network: "VLAN 404"})
		var me *machine.MissingError
		if !errors.As(err, &me) || me.What != "port group" || !strings.Contains(err.Error(), "VLAN 404") {
			t.Fatalf("want a MissingError naming VLAN 404, got %v", err)
		}
		if r, err := b.ObserveRule(ctx, id); err != nil || r != nil {
			t.Errorf("a rule was recorded: %+v, %v", r, err)
		}
	})
	t.Run("MissingDatacenter", func(t *testing.T) {
		_, err := b.CreateRule(ctx, machine.ID{Name: "x"}, machine.RuleSpec{Ports: []int32{1}, Network: vspherefake.PortGroup, VSphere: &v1alpha1.VSphereFirewallRuleParameters{Datacenter: "DC5"}})
		var me *machine.MissingError
		if !errors.As(err, &me) || me.What != "datacenter" || me.Name != "DC5" {
			t.Fatalf("want a MissingError naming DC5, got %v", err)
		}
	})
}
