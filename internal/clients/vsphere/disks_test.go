package vsphere

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

func TestDataDisks(t *testing.T) {
	var devices object.VirtualDeviceList
	ctl, err := devices.CreateSCSIController("pvscsi")
	if err != nil {
		t.Fatal(err)
	}
	ctl.(types.BaseVirtualSCSIController).GetVirtualSCSIController().BusNumber = 1
	ctl.GetVirtualDevice().Key = 1000
	devices = append(devices, ctl)
	var disks []*types.VirtualDisk
	for _, kb := range []int64{8 << 20, 10 << 20, (3 << 20) + 1} { // boot 8 GiB, 10 GiB, a little over 3 GiB
		d := devices.CreateDisk(ctl.(types.BaseVirtualController), types.ManagedObjectReference{}, "")
		d.CapacityInKB = kb
		devices = append(devices, d)
		disks = append(disks, d)
	}
	if p := diskPlace(devices, disks[1]); p != "scsi1:1" {
		t.Fatalf("place %s, want scsi1:1", p)
	}
	extra := optionValues(map[string]string{
		keyDiskPrefix + "data": "scsi1:1", keyDiskPrefix + "wal": "scsi1:2", keyDiskPrefix + "gone": "scsi1:9", "other": "x",
	})
	got, byName := dataDisks(devices, extra)
	want := []machine.Disk{{Name: "data", SizeGiB: 10}, {Name: "wal", SizeGiB: 4}}
	if d := cmp.Diff(want, got); d != "" || byName["data"] != disks[1] {
		t.Errorf("-want +got:\n%s", d)
	}
}
