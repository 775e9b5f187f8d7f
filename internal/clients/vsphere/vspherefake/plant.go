package vspherefake

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// keyOwner is the ExtraConfig key the vSphere backend keeps its owner
// marker in (vsphere.keyOwner).
const keyOwner = "dbaas.owner"

// Plant clones the template into the datacenter's VM folder as name,
// powered on, with owner's marker in ExtraConfig when owner is set.
func (r *Rig) Plant(name string, owner *ownership.Owner) error {
	ctx := context.Background()
	f := find.NewFinder(r.client.Client, true)
	dc, err := f.Datacenter(ctx, "/"+Datacenter)
	if err != nil {
		return err
	}
	f.SetDatacenter(dc)
	tmpl, err := f.VirtualMachine(ctx, Template)
	if err != nil {
		return err
	}
	folder, err := f.Folder(ctx, "/"+Datacenter+"/vm")
	if err != nil {
		return err
	}
	cl, err := f.ClusterComputeResource(ctx, Cluster)
	if err != nil {
		return err
	}
	pool, err := cl.ResourcePool(ctx)
	if err != nil {
		return err
	}
	t, err := tmpl.Clone(ctx, folder, name, types.VirtualMachineCloneSpec{
		Location: types.VirtualMachineRelocateSpec{Pool: types.NewReference(pool.Reference())},
		PowerOn:  true,
	})
	if err != nil {
		return err
	}
	if err := t.Wait(ctx); err != nil {
		return err
	}
	if owner == nil {
		return nil
	}
	// vcsim keeps only a clone spec's devices: the marker goes on after.
	return r.Reconfigure(name, types.VirtualMachineConfigSpec{ExtraConfig: []types.BaseOptionValue{
		&types.OptionValue{Key: keyOwner, Value: owner.Marker()},
	}})
}

// OwnerOf reads the owner marker from the VM's ExtraConfig.
func (r *Rig) OwnerOf(name string) (*ownership.Owner, error) {
	mv, err := r.VM(name, "config.extraConfig")
	if err != nil {
		return nil, err
	}
	if mv == nil || mv.Config == nil {
		return nil, fmt.Errorf("no VM is named %s", name)
	}
	for _, o := range mv.Config.ExtraConfig {
		if v := o.GetOptionValue(); v != nil && v.Key == keyOwner {
			if s, ok := v.Value.(string); ok {
				if o, ok := ownership.Parse(s); ok {
					return &o, nil
				}
			}
		}
	}
	return nil, nil
}
