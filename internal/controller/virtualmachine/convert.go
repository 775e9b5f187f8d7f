package virtualmachine

import (
	"sort"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
)

func spec(p v1alpha1.VirtualMachineParameters) local.Spec {
	s := local.Spec{CPU: p.CPU, MemoryMiB: p.MemoryMiB, PowerState: powerState(p.PowerState)}
	for _, d := range p.Disks {
		s.Disks = append(s.Disks, local.Disk{Name: d.Name, SizeGiB: d.SizeGiB})
	}
	if p.Local != nil {
		s.Ports = p.Local.Ports
	}
	return s
}

func powerState(p v1alpha1.PowerState) local.PowerState {
	if p == v1alpha1.PowerOff {
		return local.PowerOff
	}
	return local.PowerOn
}

func observation(m *local.Machine) v1alpha1.VirtualMachineObservation {
	return v1alpha1.VirtualMachineObservation{
		ID:             m.ID,
		Address:        Address,
		PowerState:     v1alpha1.PowerState(m.PowerState),
		PortRangeStart: m.PortRangeStart,
		PortRangeEnd:   m.PortRangeEnd,
		WorkDir:        m.WorkDir,
	}
}

// upToDate reports whether the machine matches the parameters in CPU,
// memory, disks and power. The port block is fixed when the machine is made.
func upToDate(p v1alpha1.VirtualMachineParameters, m *local.Machine) bool {
	if p.CPU != m.CPU || p.MemoryMiB != m.MemoryMiB || powerState(p.PowerState) != m.PowerState {
		return false
	}
	want := spec(p).Disks
	if len(want) != len(m.Disks) {
		return false
	}
	sort.Slice(want, func(i, j int) bool { return want[i].Name < want[j].Name })
	for i := range want {
		if want[i] != m.Disks[i] {
			return false
		}
	}
	return true
}
