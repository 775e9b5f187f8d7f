package azure

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

const (
	stateSucceeded = "Succeeded"
	stateFailed    = "Failed"
	stateDeleting  = "Deleting"

	powerPrefix = "PowerState/"

	// nicPoll is how often the NIC's create or delete is polled; NICs
	// take seconds, so a worker waits for them, never for a VM.
	nicPoll = time.Second
)

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (b *Backend) vmID(group, name string) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s", b.sub, group, name)
}

// wantSize is the size a spec asks for: spec.azure.size, or the smallest
// size of the table with the spec's CPU and memory.
func wantSize(s machine.Spec) (string, error) {
	if s.Azure != nil && s.Azure.Size != "" {
		return s.Azure.Size, nil
	}
	return SizeFor(s.CPU, s.MemoryMiB)
}

// ownerOf reads the owner marker from a VM's or NIC's tags.
func ownerOf(tags map[string]*string) *ownership.Owner {
	l := map[string]string{}
	for k, v := range tags {
		l[k] = deref(v)
	}
	if o, ok := ownership.FromLabels(l); ok {
		return &o
	}
	return nil
}

// Observe returns the machine, or nil when neither its VM nor its network
// interface exists: a NIC left alone is either being deleted or the first
// half of a create that was cut short, and both need more work.
func (b *Backend) Observe(ctx context.Context, id machine.ID) (*machine.Machine, error) {
	p, _ := b.placeOf(id)
	_, m, err := b.read(ctx, id, p.group)
	return m, err
}

// read gets the VM with its instance view, and its NIC for the address.
func (b *Backend) read(ctx context.Context, id machine.ID, group string) (*armcompute.VirtualMachine, *machine.Machine, error) {
	got, err := b.vms.Get(ctx, group, id.Name, &armcompute.VirtualMachinesClientGetOptions{Expand: to.Ptr(armcompute.InstanceViewTypesInstanceView)})
	if notFound(err) {
		m, err := b.readNIC(ctx, id, group)
		return nil, m, err
	}
	if err != nil {
		return nil, nil, classify(err, "cannot read virtual machine "+id.Name, refs{group: group})
	}
	vm := &got.VirtualMachine
	m, err := b.machineOf(id, vm)
	if err != nil {
		return nil, nil, err
	}
	m.Owner = ownerOf(vm.Tags)
	nic, err := b.nics.Get(ctx, group, NICName(id.Name), nil)
	switch {
	case notFound(err):
	case err != nil:
		return nil, nil, classify(err, "cannot read network interface "+NICName(id.Name), refs{group: group})
	default:
		m.Address = privateIP(&nic.Interface)
	}
	return vm, m, nil
}

// readNIC reports a machine whose VM is gone or not made yet but whose
// NIC exists. Differences says the VM is missing, so Update makes it; a
// Delete removes the NIC.
func (b *Backend) readNIC(ctx context.Context, id machine.ID, group string) (*machine.Machine, error) {
	nic, err := b.nics.Get(ctx, group, NICName(id.Name), nil)
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, classify(err, "cannot read network interface "+NICName(id.Name), refs{group: group})
	}
	m := &machine.Machine{ID: b.vmID(group, id.Name), Address: privateIP(&nic.Interface), PowerState: machine.PowerOff, Owner: ownerOf(nic.Tags)}
	if nic.Properties != nil && deref(nic.Properties.ProvisioningState) == armnetwork.ProvisioningStateDeleting {
		m.Pending = "deleting network interface " + NICName(id.Name)
	}
	b.mu.Lock()
	b.sizes[m.ID] = ""
	b.mu.Unlock()
	return m, nil
}

func privateIP(nic *armnetwork.Interface) string {
	if nic.Properties == nil {
		return ""
	}
	for _, c := range nic.Properties.IPConfigurations {
		if c != nil && c.Properties != nil && c.Properties.PrivateIPAddress != nil {
			return *c.Properties.PrivateIPAddress
		}
	}
	return ""
}

// machineOf turns a VM into the machine package's terms.
func (b *Backend) machineOf(id machine.ID, vm *armcompute.VirtualMachine) (*machine.Machine, error) {
	m := &machine.Machine{ID: deref(vm.ID), PowerState: machine.PowerOff, Zone: zoneOf(vm)}
	p := vm.Properties
	if p == nil {
		p = &armcompute.VirtualMachineProperties{}
	}
	state := deref(p.ProvisioningState)
	switch state {
	case stateSucceeded:
	case stateFailed:
		m.Failed = fmt.Sprintf("virtual machine %s is in provisioning state Failed%s: see its activity log in Azure, then delete it or put it right", id.Name, failure(p.InstanceView))
	case "":
		m.Pending = "provisioning state unknown"
	default:
		m.Pending = "provisioning state " + state
	}
	size := ""
	if p.HardwareProfile != nil && p.HardwareProfile.VMSize != nil {
		size = string(*p.HardwareProfile.VMSize)
	}
	m.CPU, m.MemoryMiB, _ = SizeOf(size)
	b.mu.Lock()
	b.sizes[m.ID] = size
	b.mu.Unlock()
	if p.StorageProfile != nil {
		for _, d := range p.StorageProfile.DataDisks {
			if d == nil {
				continue
			}
			m.Disks = append(m.Disks, machine.Disk{Name: strings.TrimPrefix(deref(d.Name), id.Name+"-"), SizeGiB: deref(d.DiskSizeGB)})
		}
	}
	m.Disks = machine.SortDisks(m.Disks)
	if p.InstanceView != nil {
		for _, st := range p.InstanceView.Statuses {
			code := deref(st.Code)
			if !strings.HasPrefix(code, powerPrefix) {
				continue
			}
			switch power := strings.TrimPrefix(code, powerPrefix); power {
			case "running":
				m.PowerState = machine.PowerOn
			case "deallocated", "stopped":
				m.PowerState = machine.PowerOff
			default:
				if m.Pending == "" {
					m.Pending = "power state " + power
				}
			}
		}
	}
	return m, nil
}

func failure(iv *armcompute.VirtualMachineInstanceView) string {
	if iv == nil {
		return ""
	}
	for _, st := range iv.Statuses {
		if strings.HasPrefix(deref(st.Code), "ProvisioningState/failed") {
			return ": " + strings.TrimPrefix(deref(st.Code), "ProvisioningState/failed/") + " " + deref(st.Message)
		}
	}
	return ""
}

// Differences compares the size by name, then disks and power.
func (b *Backend) Differences(s machine.Spec, m *machine.Machine) []string {
	b.mu.Lock()
	have, seen := b.sizes[m.ID]
	b.mu.Unlock()
	if seen && have == "" {
		return []string{"the virtual machine does not exist, only its network interface"}
	}
	if !seen {
		// A machine this backend did not observe: name its size from the
		// table when CPU and memory match an entry exactly.
		for _, t := range sizes {
			if t.CPU == m.CPU && t.MemoryMiB == m.MemoryMiB {
				have = t.Name
				break
			}
		}
	}
	return differences(s, m, have)
}

func differences(s machine.Spec, m *machine.Machine, have string) []string {
	var out []string
	want, err := wantSize(s)
	switch {
	case err != nil:
		out = append(out, err.Error())
	case !strings.EqualFold(want, have):
		out = append(out, fmt.Sprintf("size %s, want %s", orUnknown(have), want))
	}
	if want := wantZone(s); want != m.Zone {
		out = append(out, fmt.Sprintf("availability zone %s, want %s", orNone(m.Zone), orNone(want)))
	}
	out = append(out, machine.DiskDifferences(s.Disks, m.Disks)...)
	if machine.PowerOf(s.PowerState) != m.PowerState {
		out = append(out, fmt.Sprintf("power %s, want %s", m.PowerState, machine.PowerOf(s.PowerState)))
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// Create makes the NIC and starts the VM's create; it returns once ARM has
// accepted the VM, which is then Pending until its provisioning succeeds.
func (b *Backend) Create(ctx context.Context, id machine.ID, s machine.Spec) (*machine.Machine, error) {
	group := b.groupFor(s)
	b.remember(id, place{group: group})
	_, err := b.vms.Get(ctx, group, id.Name, nil)
	switch {
	case err == nil:
		// Returned with its owner marker, for the caller to judge.
		_, m, err := b.read(ctx, id, group)
		return m, err
	case !notFound(err):
		return nil, classify(err, "cannot read virtual machine "+id.Name, refs{group: group})
	}
	return b.create(ctx, id, s, group)
}

func (b *Backend) create(ctx context.Context, id machine.ID, s machine.Spec, group string) (*machine.Machine, error) {
	size, err := wantSize(s)
	if err != nil {
		return nil, err
	}
	image, err := imageReference(s.Image)
	if err != nil {
		return nil, err
	}
	subnet, err := b.subnetID(group, s.Network)
	if err != nil {
		return nil, err
	}
	if s.SSHPublicKey == "" {
		return nil, errors.New("an Azure machine needs sshPublicKey: password logins are disabled")
	}
	admin := apisv1alpha1.DefaultSSHUser
	if s.Azure != nil && s.Azure.AdminUsername != "" {
		admin = s.Azure.AdminUsername
	}
	location := b.locationFor(s)
	r := refs{group: group, image: s.Image, subnet: s.Network}
	tags := b.tags(id, s)

	np, err := b.nics.BeginCreateOrUpdate(ctx, group, NICName(id.Name), armnetwork.Interface{
		Location: &location,
		Tags:     tags,
		Properties: &armnetwork.InterfacePropertiesFormat{
			IPConfigurations: []*armnetwork.InterfaceIPConfiguration{{
				Name: to.Ptr("ipconfig1"),
				Properties: &armnetwork.InterfaceIPConfigurationPropertiesFormat{
					Subnet:                    &armnetwork.Subnet{ID: &subnet},
					PrivateIPAllocationMethod: to.Ptr(armnetwork.IPAllocationMethodDynamic),
					Primary:                   to.Ptr(true),
				},
			}},
		},
	}, nil)
	if err != nil {
		return nil, classify(err, "cannot create network interface "+NICName(id.Name), r)
	}
	nic, err := np.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: nicPoll})
	if err != nil {
		return nil, classify(err, "cannot create network interface "+NICName(id.Name), r)
	}

	disks := machine.SortDisks(s.Disks)
	data := make([]*armcompute.DataDisk, 0, len(disks))
	for i, d := range disks {
		data = append(data, dataDisk(id.Name, d, int32(i)))
	}
	vm := armcompute.VirtualMachine{
		Location: &location,
		Tags:     tags,
		Properties: &armcompute.VirtualMachineProperties{
			HardwareProfile: &armcompute.HardwareProfile{VMSize: to.Ptr(armcompute.VirtualMachineSizeTypes(size))},
			StorageProfile: &armcompute.StorageProfile{
				ImageReference: image,
				OSDisk: &armcompute.OSDisk{
					Name:         to.Ptr(id.Name + "-os"),
					CreateOption: to.Ptr(armcompute.DiskCreateOptionTypesFromImage),
					DeleteOption: to.Ptr(armcompute.DiskDeleteOptionTypesDelete),
				},
				DataDisks: data,
			},
			OSProfile: &armcompute.OSProfile{
				ComputerName:  &id.Name,
				AdminUsername: &admin,
				LinuxConfiguration: &armcompute.LinuxConfiguration{
					DisablePasswordAuthentication: to.Ptr(true),
					SSH: &armcompute.SSHConfiguration{PublicKeys: []*armcompute.SSHPublicKey{{
						Path:    to.Ptr("/home/" + admin + "/.ssh/authorized_keys"),
						KeyData: &s.SSHPublicKey,
					}}},
				},
			},
			NetworkProfile: &armcompute.NetworkProfile{NetworkInterfaces: []*armcompute.NetworkInterfaceReference{{
				ID:         nic.ID,
				Properties: &armcompute.NetworkInterfaceReferenceProperties{Primary: to.Ptr(true)},
			}}},
		},
	}
	// The OS and data disks the VM makes are made in its zone; the NIC is
	// regional and needs none.
	if zone := wantZone(s); zone != "" {
		vm.Zones = []*string{to.Ptr(zone)}
	}
	if s.UserData != "" {
		vm.Properties.OSProfile.CustomData = to.Ptr(base64.StdEncoding.EncodeToString([]byte(s.UserData)))
	}
	// The VM's create takes minutes: the poller is dropped, and Observe
	// follows the VM's provisioning state instead.
	if _, err := b.vms.BeginCreateOrUpdate(ctx, group, id.Name, vm, nil); err != nil {
		return nil, classify(err, "cannot create virtual machine "+id.Name, r)
	}
	m := &machine.Machine{
		ID:         b.vmID(group, id.Name),
		Address:    privateIP(&nic.Interface),
		Disks:      disks,
		PowerState: machine.PowerOff,
		Zone:       wantZone(s),
		Pending:    "provisioning state Creating",
		Owner:      &s.Owner,
	}
	m.CPU, m.MemoryMiB, _ = SizeOf(size)
	return m, nil
}

func (b *Backend) tags(id machine.ID, s machine.Spec) map[string]*string {
	tags := map[string]*string{}
	for k, v := range s.Tags {
		tags[k] = to.Ptr(v)
	}
	tags[TagNamespace] = to.Ptr(id.Namespace)
	// The owner's tags go last, so that no tag of the spec can pass for
	// them.
	for k, v := range s.Owner.Labels() {
		tags[k] = to.Ptr(v)
	}
	return tags
}

// Mark tags the VM with owner's marker, keeping its other tags (an update
// of tags replaces them all).
func (b *Backend) Mark(ctx context.Context, id machine.ID, owner ownership.Owner) error {
	group := b.placeOfGroup(id)
	got, err := b.vms.Get(ctx, group, id.Name, nil)
	if err != nil {
		return classify(err, "cannot read virtual machine "+id.Name, refs{group: group})
	}
	tags := map[string]*string{}
	for k, v := range got.Tags {
		tags[k] = v
	}
	for k, v := range owner.Labels() {
		tags[k] = to.Ptr(v)
	}
	p, err := b.vms.BeginUpdate(ctx, group, id.Name, armcompute.VirtualMachineUpdate{Tags: tags}, nil)
	if err == nil {
		_, err = p.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: nicPoll})
	}
	return classify(err, "cannot tag virtual machine "+id.Name, refs{group: group})
}

func dataDisk(vm string, d machine.Disk, lun int32) *armcompute.DataDisk {
	return &armcompute.DataDisk{
		Name:         to.Ptr(DiskName(vm, d.Name)),
		Lun:          to.Ptr(lun),
		DiskSizeGB:   to.Ptr(d.SizeGiB),
		CreateOption: to.Ptr(armcompute.DiskCreateOptionTypesEmpty),
		DeleteOption: to.Ptr(armcompute.DiskDeleteOptionTypesDelete),
	}
}

// Update resizes the VM, grows and adds disks, then starts or deallocates
// it: one operation per call, since ARM refuses a second operation on a VM
// while one is in flight. The operation is not waited for; the machine
// comes back Pending and the next Observe follows it.
func (b *Backend) Update(ctx context.Context, id machine.ID, s machine.Spec) (*machine.Machine, error) {
	group := b.groupFor(s)
	b.remember(id, place{group: group})
	vm, m, err := b.read(ctx, id, group)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.Errorf("virtual machine %s does not exist in resource group %s", id.Name, group)
	}
	if vm == nil {
		if m.Pending != "" {
			return m, nil
		}
		// Only the NIC exists: finish the create that was cut short.
		return b.create(ctx, id, s, group)
	}
	if m.Pending != "" {
		return m, nil
	}
	if err := checkZone(id, s, m); err != nil {
		return nil, err
	}
	if err := machine.CheckDisks(m.Disks, s.Disks); err != nil {
		return nil, err
	}
	want, err := wantSize(s)
	if err != nil {
		return nil, err
	}
	have := ""
	if hp := vm.Properties.HardwareProfile; hp != nil {
		have = string(deref(hp.VMSize))
	}
	var current []*armcompute.DataDisk
	if sp := vm.Properties.StorageProfile; sp != nil {
		current = sp.DataDisks
	}
	r := refs{group: group}

	var what []string
	upd := armcompute.VirtualMachineUpdate{Properties: &armcompute.VirtualMachineProperties{}}
	if !strings.EqualFold(want, have) {
		// A plain update changes the size when the VM's hardware cluster
		// offers the new one; moving to a size it does not offer needs the
		// VM deallocated first, which Azure answers with an error naming
		// the sizes available (the fake accepts every size).
		upd.Properties.HardwareProfile = &armcompute.HardwareProfile{VMSize: to.Ptr(armcompute.VirtualMachineSizeTypes(want))}
		what = append(what, fmt.Sprintf("resizing to %s", want))
	}
	if len(machine.DiskDifferences(s.Disks, m.Disks)) > 0 {
		upd.Properties.StorageProfile = &armcompute.StorageProfile{DataDisks: growDisks(id.Name, current, s.Disks)}
		what = append(what, "growing and adding disks")
	}
	if len(what) > 0 {
		if _, err := b.vms.BeginUpdate(ctx, group, id.Name, upd, nil); err != nil {
			return nil, classify(err, "cannot update virtual machine "+id.Name, r)
		}
		m.Pending = strings.Join(what, ", ")
		return m, nil
	}
	switch machine.PowerOf(s.PowerState) {
	case m.PowerState:
	case machine.PowerOn:
		if _, err := b.vms.BeginStart(ctx, group, id.Name, nil); err != nil {
			return nil, classify(err, "cannot start virtual machine "+id.Name, r)
		}
		m.Pending = "starting"
	default:
		// Deallocating, unlike powering off, stops the compute billing.
		if _, err := b.vms.BeginDeallocate(ctx, group, id.Name, nil); err != nil {
			return nil, classify(err, "cannot deallocate virtual machine "+id.Name, r)
		}
		m.Pending = "deallocating"
	}
	return m, nil
}

// growDisks returns the VM's data disks grown to the spec, with the spec's
// new disks added at the lowest free LUNs. CheckDisks has refused
// shrinking and dropping.
func growDisks(vm string, current []*armcompute.DataDisk, want []machine.Disk) []*armcompute.DataDisk {
	size := map[string]int32{}
	for _, d := range want {
		size[DiskName(vm, d.Name)] = d.SizeGiB
	}
	used := map[int32]bool{}
	have := map[string]bool{}
	out := make([]*armcompute.DataDisk, 0, len(want))
	for _, d := range current {
		c := *d
		if s, ok := size[deref(c.Name)]; ok && s > deref(c.DiskSizeGB) {
			c.DiskSizeGB = to.Ptr(s)
		}
		used[deref(c.Lun)] = true
		have[deref(c.Name)] = true
		out = append(out, &c)
	}
	lun := int32(0)
	for _, d := range machine.SortDisks(want) {
		if have[DiskName(vm, d.Name)] {
			continue
		}
		for used[lun] {
			lun++
		}
		used[lun] = true
		out = append(out, dataDisk(vm, d, lun))
	}
	sort.Slice(out, func(i, j int) bool { return deref(out[i].Lun) < deref(out[j].Lun) })
	return out
}

// Delete starts the VM's delete, which takes its OS and data disks with it
// (deleteOption Delete); once the VM is gone it deletes the NIC. It is
// called again while Observe still finds either.
func (b *Backend) Delete(ctx context.Context, id machine.ID) error {
	group := b.placeOfGroup(id)
	r := refs{group: group}
	got, err := b.vms.Get(ctx, group, id.Name, nil)
	switch {
	case err == nil:
		if got.Properties != nil && deref(got.Properties.ProvisioningState) == stateDeleting {
			return nil
		}
		_, err := b.vms.BeginDelete(ctx, group, id.Name, &armcompute.VirtualMachinesClientBeginDeleteOptions{ForceDeletion: to.Ptr(false)})
		if notFound(err) {
			return nil
		}
		return classify(err, "cannot delete virtual machine "+id.Name, r)
	case !notFound(err):
		return classify(err, "cannot read virtual machine "+id.Name, r)
	}
	p, err := b.nics.BeginDelete(ctx, group, NICName(id.Name), nil)
	if notFound(err) {
		return nil
	}
	if err != nil {
		return classify(err, "cannot delete network interface "+NICName(id.Name), r)
	}
	if _, err := p.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: nicPoll}); err != nil && !notFound(err) {
		return classify(err, "cannot delete network interface "+NICName(id.Name), r)
	}
	return nil
}

func (b *Backend) placeOfGroup(id machine.ID) string {
	p, _ := b.placeOf(id)
	return p.group
}
