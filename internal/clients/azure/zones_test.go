package azure_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
)

// TestCreateInZone checks that the create request carries the spec's
// availability zone, and that Observe reports the zone back.
func TestCreateInZone(t *testing.T) {
	cases := map[string]struct {
		reason string
		zone   string
		want   []string
	}{
		"Zonal": {
			reason: "a zone in the spec is the VM's only zone",
			zone:   "2",
			want:   []string{"2"},
		},
		"Regional": {
			reason: "no zone in the spec makes a regional VM, with no zones in the request",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rig, b := start(t)
			s := spec(rig)
			s.Azure = &v1alpha1.AzureMachineParameters{Zone: tc.zone}
			m, err := b.Create(context.Background(), id, s)
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if m.Zone != tc.zone {
				t.Errorf("%s: Create returned zone %q, want %q", tc.reason, m.Zone, tc.zone)
			}
			var sent []string
			for _, z := range rig.VM(id.Name).Zones {
				sent = append(sent, *z)
			}
			if diff := cmp.Diff(tc.want, sent); diff != "" {
				t.Errorf("%s: zones of the create request: -want +got:\n%s", tc.reason, diff)
			}
			got, _ := ready(t, b, id)
			if got.Zone != tc.zone {
				t.Errorf("%s: Observe reports zone %q, want %q", tc.reason, got.Zone, tc.zone)
			}
			if d := b.Differences(s, got); len(d) != 0 {
				t.Errorf("%s: Differences = %v; want none", tc.reason, d)
			}
		})
	}
}

// TestOtherZoneIsRefused checks that a machine in another zone than the
// spec's is reported and refused, not updated: Azure cannot move it.
func TestOtherZoneIsRefused(t *testing.T) {
	rig, b := start(t)
	s := spec(rig)
	s.Azure = &v1alpha1.AzureMachineParameters{Zone: "1"}
	m := create(t, rig, b, s)
	s.Azure.Zone = "3"
	s.CPU = 4
	if d := b.Differences(s, m); !containsText(d, "availability zone 1, want 3") {
		t.Errorf("Differences = %v; want the zone named", d)
	}
	_, err := b.Update(context.Background(), id, s)
	if err == nil || !strings.Contains(err.Error(), "cannot move a virtual machine to another zone") {
		t.Errorf("Update: %v; want the move refused", err)
	}
	if size := rig.Size(id.Name); size != "Standard_D2s_v5" {
		t.Errorf("size %s after a refused update, want it unchanged (Standard_D2s_v5)", size)
	}
}

func containsText(d []string, want string) bool {
	for _, s := range d {
		if strings.Contains(s, want) {
			return true
		}
	}
	return false
}
