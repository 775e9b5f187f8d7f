// Package local is the local machine backend: a "machine" is a directory on
// the provider's own host with a block of loopback ports, and engines on it
// run as real local processes. It serves demos, CI and development.
package local

import (
	"context"
)

// A MachineID names a machine: the namespace and external name of the
// VirtualMachine that manages it.
type MachineID struct {
	Namespace string
	Name      string
}

// PowerState of a machine.
type PowerState string

// Power states.
const (
	PowerOn  PowerState = "On"
	PowerOff PowerState = "Off"
)

// A Disk is a data disk of a machine.
type Disk struct {
	Name    string `json:"name"`
	SizeGiB int32  `json:"sizeGiB"`
}

// A Spec is the desired state of a machine.
type Spec struct {
	CPU        int32
	MemoryMiB  int32
	Disks      []Disk
	PowerState PowerState

	// Ports is how many consecutive loopback ports the machine owns. It is
	// only read when the machine is created: a machine keeps its block.
	Ports int32

	// Owner is the marker (ownership.Owner.Marker) of the VirtualMachine
	// the machine is made for; Create records it in machine.json.
	Owner string
}

// A Machine is the observed state of a machine.
type Machine struct {
	ID             string     `json:"id"`
	PortRangeStart int32      `json:"portRangeStart"`
	PortRangeEnd   int32      `json:"portRangeEnd"`
	CPU            int32      `json:"cpu"`
	MemoryMiB      int32      `json:"memoryMiB"`
	Disks          []Disk     `json:"disks,omitempty"`
	PowerState     PowerState `json:"powerState"`
	// Owner is the owner marker of the VirtualMachine that made the
	// machine; empty for a machine made before markers, or by hand.
	Owner string `json:"owner,omitempty"`

	// WorkDir is the machine's directory; it is not recorded in machine.json
	// so that a base directory can be moved.
	WorkDir string `json:"-"`
}

// Machines manages machines on one backend. Other backends (vSphere, Azure,
// GCP, Terraform) implement the same operations.
type Machines interface {
	// Observe returns the machine, or nil when it does not exist.
	Observe(ctx context.Context, id MachineID) (*Machine, error)
	// Create makes the machine; creating an existing machine returns it.
	Create(ctx context.Context, id MachineID, s Spec) (*Machine, error)
	// Update brings an existing machine to the spec.
	Update(ctx context.Context, id MachineID, s Spec) (*Machine, error)
	// Delete removes the machine and whatever runs on it. Deleting a missing
	// machine is not an error.
	Delete(ctx context.Context, id MachineID) error
}
