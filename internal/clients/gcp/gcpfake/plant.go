package gcpfake

import (
	"fmt"

	compute "google.golang.org/api/compute/v1"

	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// Plant puts a running e2-small instance named name in the default zone,
// with a boot disk, labelled with owner's labels when owner is set, as
// someone with the console would.
func (r *Rig) Plant(name string, owner *ownership.Owner) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if inst, _ := r.find(name); inst != nil {
		return fmt.Errorf("an instance %s exists already", name)
	}
	id := r.nextID()
	self := instancePath(Zone, name)
	labels := map[string]string{"made-by": "console"}
	if owner != nil {
		for k, v := range owner.Labels() {
			labels[k] = v
		}
	}
	r.disks[Zone+"/"+name] = &compute.Disk{Kind: "compute#disk", Id: r.nextID(), Name: name, SizeGb: bootDiskGiB, Status: "READY",
		SourceImage: ImageLink, Zone: r.link("zones/" + Zone), SelfLink: r.link(diskPath(Zone, name)), Users: []string{r.link(self)}}
	r.instances[Zone+"/"+name] = &compute.Instance{
		Kind: "compute#instance", Id: id, Name: name, Zone: r.link("zones/" + Zone),
		MachineType: r.link("zones/" + Zone + "/machineTypes/e2-small"), Status: "RUNNING", SelfLink: r.link(self),
		Labels: labels, LabelFingerprint: fmt.Sprintf("lfp-%d", id),
		NetworkInterfaces: []*compute.NetworkInterface{{Kind: "compute#networkInterface", Name: "nic0",
			Network: r.link("global/networks/default"), NetworkIP: fmt.Sprintf("10.132.%d.%d", id/250%250, id%250+2)}},
		Disks: []*compute.AttachedDisk{{Kind: "compute#attachedDisk", Boot: true, AutoDelete: true, DeviceName: "persistent-disk-0",
			Source: r.link(diskPath(Zone, name)), DiskSizeGb: bootDiskGiB, Type: "PERSISTENT", Mode: "READ_WRITE"}},
	}
	return nil
}

// OwnerOf reads the owner labels of the instance named name.
func (r *Rig) OwnerOf(name string) (*ownership.Owner, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	inst, _ := r.find(name)
	if inst == nil {
		return nil, fmt.Errorf("no instance %s", name)
	}
	if o, ok := ownership.FromLabels(inst.Labels); ok {
		return &o, nil
	}
	return nil, nil
}
