// This file holds the power operations: on, off, and a guest shutdown that
// falls back to off.

package vsphere

import (
	"context"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

const (
	errPowerOn  = "cannot power the machine on"
	errPowerOff = "cannot power the machine off"
)

func (b *Backend) powerOn(ctx context.Context, vm *object.VirtualMachine) error {
	task, err := vm.PowerOn(ctx)
	if err != nil {
		return classify(err, errPowerOn)
	}
	if _, err := task.WaitForResult(ctx); err != nil && !fault.Is(err, &types.InvalidPowerState{}) {
		return classify(err, errPowerOn)
	}
	return nil
}

func (b *Backend) powerOff(ctx context.Context, vm *object.VirtualMachine) error {
	task, err := vm.PowerOff(ctx)
	if err != nil {
		return classify(err, errPowerOff)
	}
	if _, err := task.WaitForResult(ctx); err != nil && !fault.IsAlreadyPoweredOffError(err) {
		return classify(err, errPowerOff)
	}
	return nil
}

// shutDown asks the guest to shut down when VMware Tools run in it, waits
// for that up to ShutdownTimeout, and powers the machine off otherwise.
func (b *Backend) shutDown(ctx context.Context, vm *object.VirtualMachine, mv *mo.VirtualMachine) error {
	if mv.Guest != nil && mv.Guest.ToolsRunningStatus == string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
		if err := vm.ShutdownGuest(ctx); err == nil {
			wctx, cancel := context.WithTimeout(ctx, b.ShutdownTimeout)
			err = vm.WaitForPowerState(wctx, types.VirtualMachinePowerStatePoweredOff)
			cancel()
			if err == nil {
				return nil
			}
			if ctx.Err() != nil {
				return classify(err, errPowerOff)
			}
		}
	}
	return b.powerOff(ctx, vm)
}
