// This file holds how the backend finds a machine (where it was last seen,
// in its folder, or by name anywhere) and reads it as the contract sees it.

package vsphere

import (
	"context"
	"sync"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

const (
	errFind  = "cannot look the machine up"
	errRead  = "cannot read the machine"
	errNotVM = "%s is a %s, not a virtual machine"
)

// vmProperties are what Observe and Update read of a VM, in one call.
var vmProperties = []string{
	"config.hardware.numCPU", "config.hardware.memoryMB", "config.hardware.device",
	"config.extraConfig", "config.cpuHotAddEnabled", "config.memoryHotAddEnabled",
	"runtime.powerState", "guest.ipAddress", "guest.toolsRunningStatus", "resourcePool",
}

// known remembers where machines are, by vCenter and ID, so that Observe,
// which is given no spec, finds a machine put outside the provider config's
// default folder with one call.
var known sync.Map // knownKey → types.ManagedObjectReference

type knownKey struct{ url, id string }

func (b *Backend) remember(id machine.ID, ref types.ManagedObjectReference) {
	known.Store(knownKey{b.cfg.URL, idString(id)}, ref)
}

func (b *Backend) forget(id machine.ID) { known.Delete(knownKey{b.cfg.URL, idString(id)}) }

// lookup finds the machine: where it was last seen, else by inventory path
// in its folder, else (after a restart of the provider, for a machine put
// outside the default folder) by name anywhere, if its guestinfo.dbaas.id
// says it is this machine. nil when it is not there. A missing datacenter
// is an error, so a wrong one is not taken for a machine yet to be made.
func (b *Backend) lookup(ctx context.Context, p placement, id machine.ID) (*object.VirtualMachine, error) {
	if ref, ok := known.Load(knownKey{b.cfg.URL, idString(id)}); ok {
		return object.NewVirtualMachine(b.c.Client, ref.(types.ManagedObjectReference)), nil
	}
	if p.Datacenter == "" {
		return nil, b.missing("datacenter", "", "name one in the provider config's spec.vsphere.datacenter or the machine's vsphere block")
	}
	si := object.NewSearchIndex(b.c.Client)
	path := p.folderPath() + "/" + id.Name
	ref, err := si.FindByInventoryPath(ctx, path)
	if err != nil {
		return nil, classify(err, errFind)
	}
	if ref != nil {
		vm, ok := ref.(*object.VirtualMachine)
		if !ok {
			return nil, errors.Errorf(errNotVM, path, ref.Reference().Type)
		}
		b.remember(id, vm.Reference())
		return vm, nil
	}
	dc, err := si.FindByInventoryPath(ctx, p.dcPath())
	if err != nil {
		return nil, classify(err, errFind)
	}
	if dc == nil {
		return nil, b.missing("datacenter", p.Datacenter, "looked for "+p.dcPath()+" in "+b.cfg.URL)
	}
	vm, err := b.scan(ctx, id)
	if err != nil || vm == nil {
		return nil, err
	}
	b.remember(id, vm.Reference())
	return vm, nil
}

// scan looks for the machine by name in the whole inventory.
func (b *Backend) scan(ctx context.Context, id machine.ID) (*object.VirtualMachine, error) {
	v, err := view.NewManager(b.c.Client).CreateContainerView(ctx, b.c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, classify(err, errFind)
	}
	defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
	var names []types.ObjectContent
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name"}, &names); err != nil {
		return nil, classify(err, errFind)
	}
	refs := property.Match{"name": id.Name}.ObjectContent(names)
	if len(refs) == 0 {
		return nil, nil
	}
	var vms []mo.VirtualMachine
	if err := property.DefaultCollector(b.c.Client).Retrieve(ctx, refs, []string{"config.extraConfig"}, &vms); err != nil {
		return nil, classify(err, errFind)
	}
	for _, mv := range vms {
		if mv.Config == nil {
			continue
		}
		for _, o := range mv.Config.ExtraConfig {
			if v := o.GetOptionValue(); v != nil && v.Key == keyID && v.Value == idString(id) {
				return object.NewVirtualMachine(b.c.Client, mv.Self), nil
			}
		}
	}
	return nil, nil
}

func (b *Backend) read(ctx context.Context, vm *object.VirtualMachine) (*mo.VirtualMachine, error) {
	var mv mo.VirtualMachine
	if err := property.DefaultCollector(b.c.Client).RetrieveOne(ctx, vm.Reference(), vmProperties, &mv); err != nil {
		return nil, classify(err, errRead)
	}
	return &mv, nil
}

// observed is the machine as the contract sees it.
func observed(mv *mo.VirtualMachine) *machine.Machine {
	m := &machine.Machine{ID: mv.Self.Value, PowerState: machine.PowerOff}
	if mv.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
		m.PowerState = machine.PowerOn
	}
	if mv.Guest != nil {
		m.Address = mv.Guest.IpAddress
	}
	if mv.Config != nil {
		m.CPU = mv.Config.Hardware.NumCPU
		m.MemoryMiB = mv.Config.Hardware.MemoryMB
		m.Disks, _ = dataDisks(mv.Config.Hardware.Device, mv.Config.ExtraConfig)
		m.Owner = ownerOf(mv.Config.ExtraConfig)
	}
	if m.PowerState == machine.PowerOn && m.Address == "" {
		m.Waiting = "waiting for the guest's IP address"
	}
	return m
}

// Observe returns the machine, or nil when it does not exist.
func (b *Backend) Observe(ctx context.Context, id machine.ID) (*machine.Machine, error) {
	return b.observe(ctx, id, nil)
}

func (b *Backend) observe(ctx context.Context, id machine.ID, p *v1alpha1.VSphereMachineParameters) (*machine.Machine, error) {
	vm, err := b.lookup(ctx, b.placement(p), id)
	if err != nil || vm == nil {
		return nil, err
	}
	mv, err := b.read(ctx, vm)
	if fault.Is(err, &types.ManagedObjectNotFound{}) {
		// Destroyed since it was last seen; it may have been made again.
		b.forget(id)
		if vm, err = b.lookup(ctx, b.placement(p), id); err != nil || vm == nil {
			return nil, err
		}
		mv, err = b.read(ctx, vm)
	}
	if err != nil {
		return nil, err
	}
	m := observed(mv)
	if err := b.checkRule(ctx, mv); err != nil {
		return nil, err
	}
	return m, nil
}
