// This file holds the machine's data disks: made on the first SCSI
// controller, named by their place through guestinfo.dbaas.disk.<name>, and
// read back by those names.

package vsphere

import (
	"fmt"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

const errNoSCSI = "the machine has no SCSI controller to attach data disks to"

// newDisks makes add operations for disks on the first SCSI controller,
// and records each one's place under its name.
func newDisks(devices object.VirtualDeviceList, disks []machine.Disk, ds types.ManagedObjectReference, places map[string]string) ([]types.BaseVirtualDeviceConfigSpec, error) {
	ctl, err := devices.FindSCSIController("")
	if err != nil {
		return nil, errors.Wrap(err, errNoSCSI)
	}
	var out []types.BaseVirtualDeviceConfigSpec
	for _, d := range machine.SortDisks(disks) {
		disk := devices.CreateDisk(ctl, ds, "")
		bytes := int64(d.SizeGiB) * gib
		disk.CapacityInBytes = bytes
		disk.CapacityInKB = bytes / 1024
		devices = append(devices, disk)
		places[d.Name] = diskPlace(devices, disk)
		out = append(out, &types.VirtualDeviceConfigSpec{
			Operation:     types.VirtualDeviceConfigSpecOperationAdd,
			FileOperation: types.VirtualDeviceConfigSpecFileOperationCreate,
			Device:        disk,
		})
	}
	return out, nil
}

// diskNames reads the disk names back: place → name.
func diskNames(extra []types.BaseOptionValue) map[string]string {
	out := map[string]string{}
	for _, o := range extra {
		v := o.GetOptionValue()
		if v == nil || !strings.HasPrefix(v.Key, keyDiskPrefix) {
			continue
		}
		if place, ok := v.Value.(string); ok && place != "" {
			out[place] = strings.TrimPrefix(v.Key, keyDiskPrefix)
		}
	}
	return out
}

// diskPlace names where a disk sits, as in a .vmx file: scsi0:1, sata0:2.
// Unlike device keys it is known before the disk is made and survives a
// clone.
func diskPlace(devices object.VirtualDeviceList, d *types.VirtualDisk) string {
	unit := int32(-1)
	if d.UnitNumber != nil {
		unit = *d.UnitNumber
	}
	c := devices.FindByKey(d.ControllerKey)
	kind, bus := "ctl", d.ControllerKey
	switch x := c.(type) {
	case types.BaseVirtualSCSIController:
		kind, bus = "scsi", x.GetVirtualSCSIController().BusNumber
	case types.BaseVirtualSATAController:
		kind, bus = "sata", x.GetVirtualSATAController().BusNumber
	case *types.VirtualNVMEController:
		kind, bus = "nvme", x.BusNumber
	case *types.VirtualIDEController:
		kind, bus = "ide", x.BusNumber
	}
	return fmt.Sprintf("%s%d:%d", kind, bus, unit)
}

// diskBytes is a disk's capacity.
func diskBytes(d *types.VirtualDisk) int64 {
	if d.CapacityInBytes > 0 {
		return d.CapacityInBytes
	}
	return d.CapacityInKB * 1024
}

const gib = int64(1) << 30

// sizeGiB rounds a capacity up to whole GiB.
func sizeGiB(bytes int64) int32 {
	return int32((bytes + gib - 1) / gib)
}

// dataDisks are the named disks of a machine, with their devices by name.
func dataDisks(devices object.VirtualDeviceList, extra []types.BaseOptionValue) ([]machine.Disk, map[string]*types.VirtualDisk) {
	names := diskNames(extra)
	byName := map[string]*types.VirtualDisk{}
	var out []machine.Disk
	for _, dev := range devices.SelectByType((*types.VirtualDisk)(nil)) {
		d := dev.(*types.VirtualDisk)
		name, ok := names[diskPlace(devices, d)]
		if !ok {
			continue // the boot disk, or a disk someone added by hand
		}
		byName[name] = d
		out = append(out, machine.Disk{Name: name, SizeGiB: sizeGiB(diskBytes(d))})
	}
	return machine.SortDisks(out), byName
}
