// Package machine is the contract every machine backend (local, vSphere,
// Azure, GCP, Terraform) implements, and the rules they share: what a spec
// and an observed machine are, which changes are refused, and how backend
// failures are reported.
package machine

import (
	"context"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// An ID names a machine or rule: the namespace and external name of the
// resource that manages it. Backends derive the name they give it from
// both, so that a create that was cut short finds its machine again.
type ID struct {
	Namespace string
	Name      string
}

// PowerState of a machine: the API's own, so that what a VirtualMachine
// asks for and what a backend reports need no translation.
type PowerState = v1alpha1.PowerState

// Power states.
const (
	PowerOn  = v1alpha1.PowerOn
	PowerOff = v1alpha1.PowerOff
)

// A Disk is a data disk of a machine, as the API describes it. The local
// backend records disks in its machine.json with the API's JSON names.
type Disk = v1alpha1.Disk

// A Spec is the desired state of a machine. The common fields mean the same
// on every backend; a backend reads its own block and ignores the others.
type Spec struct {
	CPU          int32
	MemoryMiB    int32
	Disks        []Disk
	Image        string
	Network      string
	SSHPublicKey string
	UserData     string
	Tags         map[string]string
	PowerState   PowerState

	// Owner is the managed resource the machine is made for. Create writes
	// it on the machine (a tag, a label, an ExtraConfig key, a field of a
	// record) and Observe reads it back as Machine.Owner, so that a
	// machine of the same name made by someone else is told apart.
	Owner ownership.Owner

	Local     *v1alpha1.LocalMachineParameters
	VSphere   *v1alpha1.VSphereMachineParameters
	Azure     *v1alpha1.AzureMachineParameters
	GCP       *v1alpha1.GCPMachineParameters
	Terraform *v1alpha1.TerraformMachineParameters
}

// A Machine is the observed state of a machine.
type Machine struct {
	// ID is the backend's own identifier (a managed object reference, an
	// ARM ID, an instance ID, a workspace ID).
	ID string
	// Address is where the machine's services are reached; empty until the
	// backend knows it (a vSphere guest that has not reported its IP yet).
	Address    string
	CPU        int32
	MemoryMiB  int32
	Disks      []Disk // sorted by name
	PowerState PowerState

	// Zone the machine runs in, where the backend has zones (an Azure
	// availability zone, a GCP zone); empty otherwise.
	Zone string

	// Pending says what the backend is still doing (a clone task, a
	// long-running operation, a Terraform run waiting for approval). A
	// pending machine is not Available, and no update is sent to it.
	Pending string

	// Waiting says what a running machine waits for that is not the
	// backend's work and that no update changes (a vSphere guest that has
	// not reported its address). Such a machine is not Available, but
	// updates are sent to it: nothing of the backend is in progress, and a
	// guest may wait for ever.
	Waiting string

	// Failed says, in the backend's words, that its last work on the
	// machine failed (a Terraform run errored, an Azure VM in provisioning
	// state Failed). The machine exists, so it can still be deleted; a spec
	// that differs is applied again, and otherwise the failure is the
	// resource's Synced message until someone puts it right.
	Failed string

	// Owner is the owner marker found on the machine; nil when it has
	// none (a machine this provider did not make, or made before markers).
	Owner *ownership.Owner

	// Local backend only.
	PortRangeStart int32
	PortRangeEnd   int32
	WorkDir        string
}

// Machines manages machines on one backend.
type Machines interface {
	// Observe returns the machine, or nil when it does not exist.
	Observe(ctx context.Context, id ID) (*Machine, error)

	// Create makes the machine, or returns it when it exists already. It
	// returns once Observe would find the machine, which may still be
	// Pending: long-running work is left to later Observes, so a worker is
	// never blocked on it.
	Create(ctx context.Context, id ID, s Spec) (*Machine, error)

	// Update brings an existing machine to the spec: CPU, memory, disks
	// and power. It refuses what cannot be done (see CheckDisks) before
	// changing anything.
	Update(ctx context.Context, id ID, s Spec) (*Machine, error)

	// Mark writes owner's marker on an existing machine, replacing any
	// other: the machine is adopted. Only an explicit import calls it.
	Mark(ctx context.Context, id ID, owner ownership.Owner) error

	// Delete removes the machine and its disks. Deleting a missing machine
	// is not an error; a machine that is still going away is reported by
	// Observe until it is gone.
	Delete(ctx context.Context, id ID) error

	// Differences lists, for people, where the machine differs from the
	// spec ("cpu 2, want 4"); none means up to date. Backends that map CPU
	// and memory to sizes compare sizes.
	Differences(s Spec, m *Machine) []string
}
