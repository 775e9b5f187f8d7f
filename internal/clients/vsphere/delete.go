// This file holds Delete: the machine powered off, then destroyed with its
// disks.

package vsphere

import (
	"context"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

const errDestroy = "cannot destroy the machine"

// Delete takes the machine out of its anti-affinity rule, powers it off and
// destroys it with its disks. A missing machine is not an error.
func (b *Backend) Delete(ctx context.Context, id machine.ID) error {
	vm, err := b.lookup(ctx, b.placement(nil), id)
	if err != nil || vm == nil {
		return err
	}
	defer b.forget(id)
	var mv mo.VirtualMachine
	props := []string{"runtime.powerState", "resourcePool"}
	err = property.DefaultCollector(b.c.Client).RetrieveOne(ctx, vm.Reference(), props, &mv)
	if fault.Is(err, &types.ManagedObjectNotFound{}) {
		// Gone since it was last seen; look once more where it belongs.
		b.forget(id)
		if vm, err = b.lookup(ctx, b.placement(nil), id); err != nil || vm == nil {
			return err
		}
		err = property.DefaultCollector(b.c.Client).RetrieveOne(ctx, vm.Reference(), props, &mv)
	}
	if err != nil {
		if fault.Is(err, &types.ManagedObjectNotFound{}) {
			return nil
		}
		return classify(err, errRead)
	}
	// Out of its anti-affinity rule first: a destroyed machine cannot be
	// named in a reconfigure of the cluster any more.
	if err := b.leave(ctx, &mv); err != nil {
		return err
	}
	if mv.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
		if err := b.powerOff(ctx, vm); err != nil {
			return err
		}
	}
	task, err := vm.Destroy(ctx)
	if err == nil {
		_, err = task.WaitForResult(ctx)
	}
	if err != nil && !fault.Is(err, &types.ManagedObjectNotFound{}) {
		return classify(err, errDestroy)
	}
	return nil
}
