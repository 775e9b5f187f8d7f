// This file holds Create: the inventory objects a clone needs, the clone
// spec (size, data disks, port group, guestinfo), and what vcsim leaves out
// of a clone.

package vsphere

import (
	"context"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

const (
	errClone    = "cannot clone the template"
	errTemplate = "cannot read the template"
	errNetwork  = "cannot attach the port group"
	errPool     = "cannot find the resource pool"
)

// resolved are the inventory objects a clone needs.
type resolved struct {
	folder   *object.Folder
	pool     *object.ResourcePool
	ds       *object.Datastore
	network  object.NetworkReference
	template *object.VirtualMachine
}

func (b *Backend) resolve(ctx context.Context, p placement, s machine.Spec) (*resolved, error) {
	f := find.NewFinder(b.c.Client, false)
	where := " in " + b.cfg.URL
	dc, err := f.Datacenter(ctx, p.dcPath())
	if err != nil {
		return nil, b.notFound(err, "datacenter", p.Datacenter, "looked for "+p.dcPath()+where)
	}
	f.SetDatacenter(dc)
	dcp := dc.InventoryPath
	r := &resolved{}

	if r.folder, err = f.Folder(ctx, p.folderPath()); err != nil {
		return nil, b.notFound(err, "folder", p.Folder, "looked for "+p.folderPath()+where)
	}
	if s.Image == "" {
		return nil, b.missing("template", "", "spec.forProvider.image names no template to clone")
	}
	if r.template, err = f.VirtualMachine(ctx, s.Image); err != nil {
		return nil, b.notFound(err, "template", s.Image, "looked for a template or virtual machine "+s.Image+" in "+dcp+"/vm"+where)
	}
	switch {
	case p.ResourcePool != "":
		if r.pool, err = f.ResourcePool(ctx, p.ResourcePool); err != nil {
			return nil, b.notFound(err, "resource pool", p.ResourcePool, "looked in "+dcp+"/host"+where)
		}
	case p.Cluster != "":
		cl, err := f.ClusterComputeResource(ctx, p.Cluster)
		if err != nil {
			return nil, b.notFound(err, "cluster", p.Cluster, "looked in "+dcp+"/host"+where)
		}
		if r.pool, err = cl.ResourcePool(ctx); err != nil {
			return nil, classify(err, errPool)
		}
	default:
		crs, err := f.ComputeResourceList(ctx, "*")
		if err != nil || len(crs) == 0 {
			return nil, b.notFound(err, "cluster or host", "", "looked for any in "+dcp+"/host"+where)
		}
		if r.pool, err = crs[0].ResourcePool(ctx); err != nil {
			return nil, classify(err, errPool)
		}
	}
	if p.Datastore != "" {
		if r.ds, err = f.Datastore(ctx, p.Datastore); err != nil {
			return nil, b.notFound(err, "datastore", p.Datastore, "looked in "+dcp+"/datastore"+where)
		}
	}
	if s.Network != "" {
		if r.network, err = f.Network(ctx, s.Network); err != nil {
			return nil, b.notFound(err, "port group", s.Network, "looked in "+dcp+"/network"+where)
		}
	}
	return r, nil
}

// Create clones the machine from spec.Image and returns it once vCenter
// lists it; a machine that exists already is returned as it is.
func (b *Backend) Create(ctx context.Context, id machine.ID, s machine.Spec) (*machine.Machine, error) {
	p := b.placement(s.VSphere)
	if m, err := b.observe(ctx, id, s.VSphere); err != nil || m != nil {
		return m, err
	}
	r, err := b.resolve(ctx, p, s)
	if err != nil {
		return nil, err
	}
	var tmpl mo.VirtualMachine
	if err := property.DefaultCollector(b.c.Client).RetrieveOne(ctx, r.template.Reference(), []string{"config.hardware.device"}, &tmpl); err != nil {
		return nil, classify(err, errTemplate)
	}
	spec, err := b.cloneSpec(ctx, id, s, r, tmpl.Config.Hardware.Device)
	if err != nil {
		return nil, err
	}
	task, err := r.template.Clone(ctx, r.folder, id.Name, *spec)
	if err != nil {
		return nil, classify(err, errClone)
	}
	info, err := task.WaitForResult(ctx)
	if err != nil && !fault.Is(err, &types.DuplicateName{}) {
		return nil, classify(err, errClone)
	}
	// A DuplicateName means another create got there first: take its VM.
	var vm *object.VirtualMachine
	if err == nil {
		if ref, ok := info.Result.(types.ManagedObjectReference); ok {
			vm = object.NewVirtualMachine(b.c.Client, ref)
			b.remember(id, ref)
		}
	}
	if vm == nil {
		if vm, err = b.lookup(ctx, p, id); err != nil || vm == nil {
			return nil, errors.Wrap(err, errClone)
		}
	}
	mv, err := b.read(ctx, vm)
	if err != nil {
		return nil, err
	}
	// vCenter applies the clone spec's configuration; vcsim keeps only its
	// devices. Apply what is missing before the machine first boots.
	if fix := missingConfig(mv, spec.Config); fix != nil {
		task, err := vm.Reconfigure(ctx, *fix)
		if err == nil {
			_, err = task.WaitForResult(ctx)
		}
		if err != nil {
			return nil, classify(err, errReconfigure)
		}
		if mv, err = b.read(ctx, vm); err != nil {
			return nil, err
		}
	}
	if group := antiAffinityGroup(s.VSphere); group != "" {
		if err := b.join(ctx, id.Name, mv, group); err != nil {
			return nil, err
		}
	}
	// vCenter powers the clone on when the clone spec says so; a
	// simulator or an older release may not, so look.
	if machine.PowerOf(s.PowerState) == machine.PowerOn && mv.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		if err := b.powerOn(ctx, vm); err != nil {
			return nil, err
		}
		if mv, err = b.read(ctx, vm); err != nil {
			return nil, err
		}
	}
	return observed(mv), nil
}

// missingConfig is the part of the clone's configuration the clone does
// not have: nil when it has it all.
func missingConfig(mv *mo.VirtualMachine, want *types.VirtualMachineConfigSpec) *types.VirtualMachineConfigSpec {
	if mv.Config == nil {
		return nil
	}
	fix := types.VirtualMachineConfigSpec{}
	changed := false
	if want.NumCPUs != 0 && want.NumCPUs != mv.Config.Hardware.NumCPU {
		fix.NumCPUs, changed = want.NumCPUs, true
	}
	if want.MemoryMB != 0 && want.MemoryMB != int64(mv.Config.Hardware.MemoryMB) {
		fix.MemoryMB, changed = want.MemoryMB, true
	}
	have := map[string]any{}
	for _, o := range mv.Config.ExtraConfig {
		if v := o.GetOptionValue(); v != nil {
			have[v.Key] = v.Value
		}
	}
	for _, o := range want.ExtraConfig {
		if v := o.GetOptionValue(); have[v.Key] != v.Value {
			fix.ExtraConfig = append(fix.ExtraConfig, o)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return &fix
}

// cloneSpec sizes the clone, names it for cloud-init, adds its data disks
// and puts its first NIC on the port group.
func (b *Backend) cloneSpec(ctx context.Context, id machine.ID, s machine.Spec, r *resolved, devices object.VirtualDeviceList) (*types.VirtualMachineCloneSpec, error) {
	cfg := &types.VirtualMachineConfigSpec{
		NumCPUs:    s.CPU,
		MemoryMB:   int64(s.MemoryMiB),
		Annotation: "Managed by dbaas as " + idString(id) + ".",
	}
	var dsRef types.ManagedObjectReference
	spec := &types.VirtualMachineCloneSpec{
		Location: types.VirtualMachineRelocateSpec{Pool: types.NewReference(r.pool.Reference())},
		// A machine of an anti-affinity group is powered on only once it
		// is in its group's rule, so that DRS places it apart from the
		// start rather than moving it later.
		PowerOn: machine.PowerOf(s.PowerState) == machine.PowerOn && antiAffinityGroup(s.VSphere) == "",
		Config:  cfg,
	}
	if r.ds != nil {
		dsRef = r.ds.Reference()
		spec.Location.Datastore = &dsRef
	}

	places := map[string]string{}
	if len(s.Disks) > 0 {
		changes, err := newDisks(devices, s.Disks, dsRef, places)
		if err != nil {
			return nil, err
		}
		cfg.DeviceChange = append(cfg.DeviceChange, changes...)
	}

	if r.network != nil {
		backing, err := r.network.EthernetCardBackingInfo(ctx)
		if err != nil {
			return nil, classify(err, errNetwork)
		}
		nics := devices.SelectByType((*types.VirtualEthernetCard)(nil))
		if len(nics) > 0 {
			nic := nics[0]
			nic.GetVirtualDevice().Backing = backing
			cfg.DeviceChange = append(cfg.DeviceChange, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: nic})
		} else {
			nic, err := devices.CreateEthernetCard("vmxnet3", backing)
			if err != nil {
				return nil, errors.Wrap(err, errNetwork)
			}
			cfg.DeviceChange = append(cfg.DeviceChange, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: nic})
		}
	}
	cfg.ExtraConfig = append(guestInfo(id, s, places), &types.OptionValue{Key: keyOwner, Value: s.Owner.Marker()})
	if group := antiAffinityGroup(s.VSphere); group != "" {
		cfg.ExtraConfig = append(cfg.ExtraConfig, &types.OptionValue{Key: keyGroup, Value: group})
	}
	return spec, nil
}
