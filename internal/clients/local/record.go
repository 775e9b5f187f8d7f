// Package local is the local machine backend: a "machine" is a directory on
// the provider's own host with a block of loopback ports, and engines on it
// run as real local processes. It serves demos, CI and development. It
// implements machine.Backend like every other backend.
package local

import (
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// Address is where services of a local machine are reached.
const Address = "127.0.0.1"

// A record is what machine.json holds about a machine. It is the file's
// format, kept as it was written before the backend spoke the machine
// contract, so machines made then are found again.
type record struct {
	ID             string             `json:"id"`
	PortRangeStart int32              `json:"portRangeStart"`
	PortRangeEnd   int32              `json:"portRangeEnd"`
	CPU            int32              `json:"cpu"`
	MemoryMiB      int32              `json:"memoryMiB"`
	Disks          []machine.Disk     `json:"disks,omitempty"`
	PowerState     machine.PowerState `json:"powerState"`
	// Owner is the owner marker (ownership.Owner.Marker) of the resource
	// that made the machine; empty for a machine made before markers, or
	// by hand.
	Owner string `json:"owner,omitempty"`
	// Address and Netns are the machine's own address and network
	// namespace when its provider config has spec.local.network; empty for
	// a machine on loopback.
	Address string `json:"address,omitempty"`
	Netns   string `json:"netns,omitempty"`

	// WorkDir is the machine's directory; it is not recorded so that a
	// base directory can be moved.
	WorkDir string `json:"-"`
}

// observed is the machine the record describes, in the contract's terms.
func (r *record) observed() *machine.Machine {
	if r == nil {
		return nil
	}
	addr := Address
	if r.Address != "" {
		addr = r.Address
	}
	m := &machine.Machine{
		ID: r.ID, Address: addr, CPU: r.CPU, MemoryMiB: r.MemoryMiB,
		Disks: machine.SortDisks(r.Disks), PowerState: r.PowerState,
		PortRangeStart: r.PortRangeStart, PortRangeEnd: r.PortRangeEnd, WorkDir: r.WorkDir,
	}
	if o, ok := ownership.Parse(r.Owner); ok {
		m.Owner = &o
	}
	return m
}
