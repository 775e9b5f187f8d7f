// Package vsphere is the machine backend for vCenter: it clones machines
// from templates with govmomi, sizes them, gives them data disks and a port
// group, and hands cloud-init its metadata and user data through guestinfo
// ExtraConfig.
//
// A machine is the VM named after its external name in the folder its
// vsphere block (or the provider config) names; its ID is the VM's managed
// object reference. Data disks are named by ExtraConfig keys
// guestinfo.dbaas.disk.<name> holding the disk's place (scsi0:1).
//
// On vSphere network rules are port-group placement; enforcing ports needs
// NSX, which this backend does not drive. A FirewallRule checks that its port
// group exists and is reported with Enforced false. So that a rule can be
// observed by its ID alone, its spec is kept as a custom attribute
// "dbaas.rule:<namespace>/<name>" on vCenter's root folder.
package vsphere

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

const backendName = "vSphere"

const (
	errNoConfig    = "the provider config has no vsphere block"
	errFind        = "cannot look the machine up"
	errRead        = "cannot read the machine"
	errClone       = "cannot clone the template"
	errTemplate    = "cannot read the template"
	errReconfigure = "cannot reconfigure the machine"
	errPowerOn     = "cannot power the machine on"
	errPowerOff    = "cannot power the machine off"
	errDestroy     = "cannot destroy the machine"
	errNetwork     = "cannot attach the port group"
	errPool        = "cannot find the resource pool"
	errNotVM       = "%s is a %s, not a virtual machine"
	errGone        = "machine %s does not exist"
	errNoSCSI      = "the machine has no SCSI controller to attach data disks to"
)

// vmProperties are what Observe and Update read of a VM, in one call.
var vmProperties = []string{
	"config.hardware.numCPU", "config.hardware.memoryMB", "config.hardware.device",
	"config.extraConfig", "config.cpuHotAddEnabled", "config.memoryHotAddEnabled",
	"runtime.powerState", "guest.ipAddress", "guest.toolsRunningStatus",
}

// A Backend drives machines in one vCenter.
type Backend struct {
	c   *govmomi.Client
	cfg apisv1alpha1.VSphereBackendConfig

	// ShutdownTimeout bounds how long a guest shutdown before a cold CPU
	// or memory change may take before the machine is powered off.
	ShutdownTimeout time.Duration
}

var _ machine.Backend = &Backend{}

// New returns a backend for the provider config's vCenter. creds are the
// JSON {"username": "...", "password": "..."}; empty for no login. Clients
// are cached per URL and credentials, so New logs in only the first time.
func New(ctx context.Context, cfg *apisv1alpha1.VSphereBackendConfig, creds []byte) (*Backend, error) {
	if cfg == nil {
		return nil, errors.New(errNoConfig)
	}
	c, err := client(ctx, cfg.URL, cfg.InsecureSkipVerify, creds)
	if err != nil {
		return nil, err
	}
	return &Backend{c: c, cfg: *cfg, ShutdownTimeout: 30 * time.Second}, nil
}

// Client is the logged-in govmomi client the backend uses.
func (b *Backend) Client() *govmomi.Client { return b.c }

// placement is where a machine goes: its block's settings over the
// provider config's defaults.
type placement struct {
	Datacenter, Cluster, ResourcePool, Datastore, Folder string
}

func (b *Backend) placement(p *v1alpha1.VSphereMachineParameters) placement {
	out := placement{Datacenter: b.cfg.Datacenter, Cluster: b.cfg.Cluster, ResourcePool: b.cfg.ResourcePool, Datastore: b.cfg.Datastore, Folder: b.cfg.Folder}
	if p == nil {
		return out
	}
	for _, f := range []struct {
		dst *string
		v   string
	}{
		{&out.Datacenter, p.Datacenter}, {&out.Cluster, p.Cluster}, {&out.ResourcePool, p.ResourcePool},
		{&out.Datastore, p.Datastore}, {&out.Folder, p.Folder},
	} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	return out
}

// dcPath is the datacenter's inventory path: a name, or a path through
// folders, taken from the root.
func (p placement) dcPath() string { return "/" + strings.Trim(p.Datacenter, "/") }

// folderPath is the inventory path of the machine's folder: the folder
// below the datacenter's VM folder, or an absolute inventory path.
func (p placement) folderPath() string {
	switch {
	case p.Folder == "":
		return p.dcPath() + "/vm"
	case strings.HasPrefix(p.Folder, "/"):
		return strings.TrimRight(p.Folder, "/")
	default:
		return p.dcPath() + "/vm/" + strings.Trim(p.Folder, "/")
	}
}

func (b *Backend) missing(what, name, hint string) error {
	return &machine.MissingError{Backend: backendName, What: what, Name: name, Hint: hint}
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
		m.Pending = "waiting for the guest's IP address"
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
	return observed(mv), nil
}

// Differences compares CPU, memory, disks and power exactly.
func (b *Backend) Differences(s machine.Spec, m *machine.Machine) []string {
	return machine.Differences(s, m)
}

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

// notFound makes a finder's NotFoundError a MissingError; other errors
// (throttling, faults) keep their meaning.
func (b *Backend) notFound(err error, what, name, hint string) error {
	var nf *find.NotFoundError
	if err == nil || errors.As(err, &nf) {
		return b.missing(what, name, hint)
	}
	return classify(err, fmt.Sprintf("cannot find %s %q", what, name))
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
		PowerOn:  machine.PowerOf(s.PowerState) == machine.PowerOn,
		Config:   cfg,
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
	return spec, nil
}

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

// Delete powers the machine off and destroys it with its disks. A missing
// machine is not an error.
func (b *Backend) Delete(ctx context.Context, id machine.ID) error {
	vm, err := b.lookup(ctx, b.placement(nil), id)
	if err != nil || vm == nil {
		return err
	}
	defer b.forget(id)
	var mv mo.VirtualMachine
	err = property.DefaultCollector(b.c.Client).RetrieveOne(ctx, vm.Reference(), []string{"runtime.powerState"}, &mv)
	if fault.Is(err, &types.ManagedObjectNotFound{}) {
		// Gone since it was last seen; look once more where it belongs.
		b.forget(id)
		if vm, err = b.lookup(ctx, b.placement(nil), id); err != nil || vm == nil {
			return err
		}
		err = property.DefaultCollector(b.c.Client).RetrieveOne(ctx, vm.Reference(), []string{"runtime.powerState"}, &mv)
	}
	if err != nil {
		if fault.Is(err, &types.ManagedObjectNotFound{}) {
			return nil
		}
		return classify(err, errRead)
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
