package azure

import (
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

// wantZone is the availability zone a spec asks for; empty for a regional
// machine.
func wantZone(s machine.Spec) string {
	if s.Azure == nil {
		return ""
	}
	return s.Azure.Zone
}

// zoneOf is the availability zone a VM was made in; empty for a regional
// VM. Azure lists at most one zone for a single VM.
func zoneOf(vm *armcompute.VirtualMachine) string {
	for _, z := range vm.Zones {
		if z != nil {
			return *z
		}
	}
	return ""
}

// checkZone refuses to update a machine in another zone than the spec's:
// Azure cannot move a VM between zones, and nothing else an update does
// would bring it closer. The API refuses a changed zone, so only a machine
// made outside this provider or before the spec named a zone gets here.
func checkZone(id machine.ID, s machine.Spec, m *machine.Machine) error {
	if want := wantZone(s); want != m.Zone {
		return errors.Errorf("virtual machine %s is in availability zone %s and the spec asks for %s: Azure cannot move a virtual machine to another zone; delete it and make it again",
			id.Name, orNone(m.Zone), orNone(want))
	}
	return nil
}

func orNone(zone string) string {
	if zone == "" {
		return "none"
	}
	return zone
}
