package virtualmachine

import (
	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

// spec is the machine contract's view of the parameters.
func spec(p v1alpha1.VirtualMachineParameters) machine.Spec {
	s := machine.Spec{
		CPU: p.CPU, MemoryMiB: p.MemoryMiB, Image: p.Image, Network: p.Network,
		SSHPublicKey: p.SSHPublicKey, UserData: p.UserData, Tags: p.Tags,
		PowerState: machine.PowerOf(p.PowerState),
		Local:      p.Local, VSphere: p.VSphere, Azure: p.Azure, GCP: p.GCP, Terraform: p.Terraform,
		// A copy, so that no backend changes the resource's spec through it.
		Disks: append([]machine.Disk(nil), p.Disks...),
	}
	return s
}

// observation is what status.atProvider shows of the machine.
func observation(m *machine.Machine) v1alpha1.VirtualMachineObservation {
	o := v1alpha1.VirtualMachineObservation{
		ID:             m.ID,
		Address:        m.Address,
		PowerState:     m.PowerState,
		Zone:           m.Zone,
		CPU:            m.CPU,
		MemoryMiB:      m.MemoryMiB,
		Pending:        m.Pending,
		PortRangeStart: m.PortRangeStart,
		PortRangeEnd:   m.PortRangeEnd,
		WorkDir:        m.WorkDir,
		Disks:          append([]v1alpha1.Disk(nil), m.Disks...),
	}
	return o
}
