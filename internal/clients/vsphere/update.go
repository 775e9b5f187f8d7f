// This file holds Update, which resizes the machine, adds and grows its
// data disks and sets its power, and Mark, which writes its owner.

package vsphere

import (
	"context"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

const (
	errReconfigure = "cannot reconfigure the machine"
	errGone        = "machine %s does not exist"
)

// Update brings CPU, memory, disks and power to the spec. Disks are
// checked first: a shrink or a dropped disk changes nothing. CPU and memory
// change hot when the machine runs and hot add allows the increase;
// otherwise the machine is shut down, reconfigured and started again when
// the spec wants it on.
func (b *Backend) Update(ctx context.Context, id machine.ID, s machine.Spec) (*machine.Machine, error) {
	p := b.placement(s.VSphere)
	vm, err := b.lookup(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if vm == nil {
		return nil, errors.Errorf(errGone, id.Name)
	}
	mv, err := b.read(ctx, vm)
	if fault.Is(err, &types.ManagedObjectNotFound{}) {
		b.forget(id)
		return nil, errors.Errorf(errGone, id.Name)
	}
	if err != nil {
		return nil, err
	}
	cur := observed(mv)
	if err := machine.CheckDisks(cur.Disks, s.Disks); err != nil {
		return nil, err
	}
	if group := antiAffinityGroup(s.VSphere); group != "" {
		if err := b.join(ctx, id.Name, mv, group); err != nil {
			return nil, err
		}
		b.outside.Delete(cur.ID)
	}

	cfg := types.VirtualMachineConfigSpec{}
	changed := false
	cpuMem := false
	hot := true
	if s.CPU != 0 && s.CPU != cur.CPU {
		cfg.NumCPUs, changed, cpuMem = s.CPU, true, true
		hot = hot && s.CPU > cur.CPU && isTrue(mv.Config.CpuHotAddEnabled)
	}
	if s.MemoryMiB != 0 && s.MemoryMiB != cur.MemoryMiB {
		cfg.MemoryMB, changed, cpuMem = int64(s.MemoryMiB), true, true
		hot = hot && s.MemoryMiB > cur.MemoryMiB && isTrue(mv.Config.MemoryHotAddEnabled)
	}

	devices := object.VirtualDeviceList(mv.Config.Hardware.Device)
	_, byName := dataDisks(devices, mv.Config.ExtraConfig)
	var add []machine.Disk
	for _, d := range s.Disks {
		have, ok := byName[d.Name]
		if !ok {
			add = append(add, d)
			continue
		}
		if want := int64(d.SizeGiB) * gib; want > diskBytes(have) {
			have.CapacityInBytes, have.CapacityInKB = want, want/1024
			cfg.DeviceChange = append(cfg.DeviceChange, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: have})
			changed = true
		}
	}
	if len(add) > 0 {
		var ds types.ManagedObjectReference
		if p.Datastore != "" {
			d, err := find.NewFinder(b.c.Client, false).Datastore(ctx, p.dcPath()+"/datastore/"+p.Datastore)
			if err != nil {
				return nil, b.notFound(err, "datastore", p.Datastore, "looked in "+p.dcPath()+"/datastore in "+b.cfg.URL)
			}
			ds = d.Reference()
		}
		places := map[string]string{}
		changes, err := newDisks(devices, add, ds, places)
		if err != nil {
			return nil, err
		}
		cfg.DeviceChange = append(cfg.DeviceChange, changes...)
		kv := map[string]string{}
		for name, place := range places {
			kv[keyDiskPrefix+name] = place
		}
		cfg.ExtraConfig = optionValues(kv)
		changed = true
	}

	on := cur.PowerState == machine.PowerOn
	wantOn := machine.PowerOf(s.PowerState) == machine.PowerOn
	if on && (!wantOn || (cpuMem && !hot)) {
		if err := b.shutDown(ctx, vm, mv); err != nil {
			return nil, err
		}
		on = false
	}
	if changed {
		task, err := vm.Reconfigure(ctx, cfg)
		if err != nil {
			return nil, classify(err, errReconfigure)
		}
		if _, err := task.WaitForResult(ctx); err != nil {
			return nil, classify(err, errReconfigure)
		}
	}
	if wantOn && !on {
		if err := b.powerOn(ctx, vm); err != nil {
			return nil, err
		}
	}
	if mv, err = b.read(ctx, vm); err != nil {
		return nil, err
	}
	return observed(mv), nil
}

// Mark writes owner's marker into the machine's ExtraConfig.
func (b *Backend) Mark(ctx context.Context, id machine.ID, owner ownership.Owner) error {
	vm, err := b.lookup(ctx, b.placement(nil), id)
	if err != nil {
		return err
	}
	if vm == nil {
		return errors.Errorf(errGone, id.Name)
	}
	task, err := vm.Reconfigure(ctx, types.VirtualMachineConfigSpec{ExtraConfig: []types.BaseOptionValue{&types.OptionValue{Key: keyOwner, Value: owner.Marker()}}})
	if err == nil {
		_, err = task.WaitForResult(ctx)
	}
	return classify(err, errReconfigure)
}

func isTrue(b *bool) bool { return b != nil && *b }
