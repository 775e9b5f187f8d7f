package azurefake

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	computefake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	networkfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7/fake"
)

// Succeeded is ARM's provisioning state of a resource at rest.
const Succeeded = "Succeeded"

func errorWith(status int, code string) azfake.ErrorResponder {
	var e azfake.ErrorResponder
	e.SetResponseError(status, code)
	return e
}

func done[T any](status int, v T) azfake.PollerResponder[T] {
	var p azfake.PollerResponder[T]
	p.SetTerminalResponse(status, v, nil)
	return p
}

// group answers ARM's error for a resource group other than the fake's.
func group(rg string) (azfake.ErrorResponder, bool) {
	if !strings.EqualFold(rg, ResourceGroup) {
		return errorWith(http.StatusNotFound, "ResourceGroupNotFound"), false
	}
	return azfake.ErrorResponder{}, true
}

func (r *Rig) id(provider, kind, name string) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/%s/%s/%s", r.sub, ResourceGroup, provider, kind, name)
}

// view is what a Get answers: the model with its provisioning state and,
// when asked, its instance view.
func (r *Rig) view(v *vm, state string, instanceView bool) *armcompute.VirtualMachine {
	c := v.model
	p := *c.Properties
	c.Properties = &p
	sp := *p.StorageProfile
	p.StorageProfile = &sp
	sp.DataDisks = nil
	for _, d := range v.model.Properties.StorageProfile.DataDisks {
		dc := *d
		sp.DataDisks = append(sp.DataDisks, &dc)
	}
	hp := *p.HardwareProfile
	p.HardwareProfile = &hp
	p.ProvisioningState = to.Ptr(state)
	if instanceView {
		power := v.power
		if v.powerTicks > 0 {
			power = v.powerTransit
		}
		st := []*armcompute.InstanceViewStatus{{Code: to.Ptr("ProvisioningState/" + strings.ToLower(state))}}
		if state != "Creating" {
			st = append(st, &armcompute.InstanceViewStatus{Code: to.Ptr("PowerState/" + power)})
		}
		p.InstanceView = &armcompute.VirtualMachineInstanceView{Statuses: st}
	}
	return &c
}

// tick advances a VM by one Get: it returns the state shown, or false
// when the VM has just gone.
func (r *Rig) tick(name string, v *vm) (string, bool) {
	if v.deleting && v.ticks == 0 {
		r.removeVM(name, v)
		return "", false
	}
	state := Succeeded
	if v.ticks > 0 {
		state = v.state
		v.ticks--
	}
	return state, true
}

func (r *Rig) removeVM(name string, v *vm) {
	sp := v.model.Properties.StorageProfile
	if sp.OSDisk.DeleteOption != nil && *sp.OSDisk.DeleteOption == armcompute.DiskDeleteOptionTypesDelete {
		delete(r.disks, strings.ToLower(*sp.OSDisk.Name))
	}
	for _, d := range sp.DataDisks {
		if d.DeleteOption != nil && *d.DeleteOption == armcompute.DiskDeleteOptionTypesDelete {
			delete(r.disks, strings.ToLower(*d.Name))
		}
	}
	for _, ref := range v.model.Properties.NetworkProfile.NetworkInterfaces {
		if nic, ok := r.nics[strings.ToLower(lastSegment(*ref.ID))]; ok {
			nic.Properties.VirtualMachine = nil
		}
	}
	delete(r.vms, name)
}

func lastSegment(id string) string { return id[strings.LastIndex(id, "/")+1:] }

func (r *Rig) busy(v *vm) bool { return v.ticks > 0 || v.powerTicks > 0 }

// changeable finds the VM an update or a power operation changes, with
// r.mu held: ResourceNotFound when there is none, and OperationNotAllowed
// while another operation runs on it or it is being deleted, as ARM answers.
func (r *Rig) changeable(name string) (*vm, azfake.ErrorResponder, bool) {
	v, ok := r.vms[strings.ToLower(name)]
	if !ok {
		return nil, errorWith(http.StatusNotFound, "ResourceNotFound"), false
	}
	if r.busy(v) || v.deleting {
		return nil, errorWith(http.StatusConflict, "OperationNotAllowed"), false
	}
	return v, azfake.ErrorResponder{}, true
}

func (r *Rig) vmServer() computefake.VirtualMachinesServer {
	return computefake.VirtualMachinesServer{
		Get: func(_ context.Context, rg, name string, o *armcompute.VirtualMachinesClientGetOptions) (resp azfake.Responder[armcompute.VirtualMachinesClientGetResponse], errResp azfake.ErrorResponder) {
			if e, ok := group(rg); !ok {
				return resp, e
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			key := strings.ToLower(name)
			v, ok := r.vms[key]
			if !ok {
				return resp, errorWith(http.StatusNotFound, "ResourceNotFound")
			}
			state, ok := r.tick(key, v)
			if !ok {
				return resp, errorWith(http.StatusNotFound, "ResourceNotFound")
			}
			expand := o != nil && o.Expand != nil && *o.Expand == armcompute.InstanceViewTypesInstanceView
			out := r.view(v, state, expand)
			if v.powerTicks > 0 {
				v.powerTicks--
			}
			resp.SetResponse(http.StatusOK, armcompute.VirtualMachinesClientGetResponse{VirtualMachine: *out}, nil)
			return resp, errResp
		},

		BeginCreateOrUpdate: func(_ context.Context, rg, name string, in armcompute.VirtualMachine, _ *armcompute.VirtualMachinesClientBeginCreateOrUpdateOptions) (resp azfake.PollerResponder[armcompute.VirtualMachinesClientCreateOrUpdateResponse], errResp azfake.ErrorResponder) {
			if e, ok := group(rg); !ok {
				return resp, e
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			key := strings.ToLower(name)
			if _, ok := r.vms[key]; ok {
				return resp, errorWith(http.StatusConflict, "OperationNotAllowed")
			}
			p := in.Properties
			if p == nil || p.HardwareProfile == nil || p.HardwareProfile.VMSize == nil || p.StorageProfile == nil || p.StorageProfile.OSDisk == nil ||
				p.NetworkProfile == nil || len(p.NetworkProfile.NetworkInterfaces) == 0 || p.OSProfile == nil {
				return resp, errorWith(http.StatusBadRequest, "InvalidParameter")
			}
			img := p.StorageProfile.ImageReference
			if img == nil {
				return resp, errorWith(http.StatusBadRequest, "InvalidParameter")
			}
			var imgKey *string
			if img.ID != nil {
				imgKey = img.ID
			} else {
				imgKey = to.Ptr(fmt.Sprintf("%s:%s:%s:%s", deref(img.Publisher), deref(img.Offer), deref(img.SKU), deref(img.Version)))
			}
			if !r.images[strings.ToLower(*imgKey)] {
				return resp, errorWith(http.StatusNotFound, "ImageNotFound")
			}
			if r.overQuota[strings.ToLower(string(*p.HardwareProfile.VMSize))] {
				return resp, errorWith(http.StatusConflict, "QuotaExceeded")
			}
			nicName := strings.ToLower(lastSegment(deref(p.NetworkProfile.NetworkInterfaces[0].ID)))
			nic, ok := r.nics[nicName]
			if !ok {
				return resp, errorWith(http.StatusNotFound, "NotFound")
			}
			if nic.Properties.VirtualMachine != nil {
				return resp, errorWith(http.StatusBadRequest, "NicInUse")
			}
			for _, d := range p.StorageProfile.DataDisks {
				if d.Name == nil || d.DiskSizeGB == nil || d.CreateOption == nil || *d.CreateOption != armcompute.DiskCreateOptionTypesEmpty {
					return resp, errorWith(http.StatusBadRequest, "InvalidParameter")
				}
			}
			// A single VM is in one availability zone at most, and the
			// fake's region has zones 1, 2 and 3.
			if len(in.Zones) > 1 || (len(in.Zones) == 1 && !slices.Contains([]string{"1", "2", "3"}, deref(in.Zones[0]))) {
				return resp, errorWith(http.StatusBadRequest, "InvalidParameter")
			}
			in.ID = to.Ptr(r.id("Microsoft.Compute", "virtualMachines", name))
			in.Name = to.Ptr(name)
			p.ProvisioningState = nil
			p.InstanceView = nil
			if p.StorageProfile.OSDisk.Name == nil {
				p.StorageProfile.OSDisk.Name = to.Ptr(name + "-osdisk")
			}
			r.disks[strings.ToLower(*p.StorageProfile.OSDisk.Name)] = osDiskGiB
			for _, d := range p.StorageProfile.DataDisks {
				r.disks[strings.ToLower(*d.Name)] = *d.DiskSizeGB
			}
			nic.Properties.VirtualMachine = &armnetwork.SubResource{ID: in.ID}
			v := &vm{model: in, state: "Creating", ticks: createGets, power: "running"}
			r.vms[key] = v
			resp = done(http.StatusCreated, armcompute.VirtualMachinesClientCreateOrUpdateResponse{VirtualMachine: *r.view(v, "Creating", false)})
			return resp, errResp
		},

		BeginUpdate: func(_ context.Context, rg, name string, in armcompute.VirtualMachineUpdate, _ *armcompute.VirtualMachinesClientBeginUpdateOptions) (resp azfake.PollerResponder[armcompute.VirtualMachinesClientUpdateResponse], errResp azfake.ErrorResponder) {
			if e, ok := group(rg); !ok {
				return resp, e
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			v, e, ok := r.changeable(name)
			if !ok {
				return resp, e
			}
			p := v.model.Properties
			if in.Properties != nil && in.Properties.HardwareProfile != nil && in.Properties.HardwareProfile.VMSize != nil {
				size := *in.Properties.HardwareProfile.VMSize
				if r.overQuota[strings.ToLower(string(size))] {
					return resp, errorWith(http.StatusConflict, "QuotaExceeded")
				}
				p.HardwareProfile.VMSize = &size
			}
			if in.Properties != nil && in.Properties.StorageProfile != nil && in.Properties.StorageProfile.DataDisks != nil {
				old := map[string]int32{}
				for _, d := range p.StorageProfile.DataDisks {
					old[strings.ToLower(*d.Name)] = *d.DiskSizeGB
				}
				var disks []*armcompute.DataDisk
				for _, d := range in.Properties.StorageProfile.DataDisks {
					dc := *d
					if dc.Name == nil || dc.DiskSizeGB == nil || dc.Lun == nil {
						return resp, errorWith(http.StatusBadRequest, "InvalidParameter")
					}
					if was, ok := old[strings.ToLower(*dc.Name)]; ok && *dc.DiskSizeGB < was {
						return resp, errorWith(http.StatusBadRequest, "InvalidDiskSize")
					}
					disks = append(disks, &dc)
				}
				for _, d := range disks {
					r.disks[strings.ToLower(*d.Name)] = *d.DiskSizeGB
				}
				p.StorageProfile.DataDisks = disks
			}
			for k, val := range in.Tags {
				if v.model.Tags == nil {
					v.model.Tags = map[string]*string{}
				}
				v.model.Tags[k] = val
			}
			v.state, v.ticks = "Updating", opGets
			resp = done(http.StatusOK, armcompute.VirtualMachinesClientUpdateResponse{VirtualMachine: *r.view(v, "Updating", false)})
			return resp, errResp
		},

		BeginStart: func(_ context.Context, rg, name string, _ *armcompute.VirtualMachinesClientBeginStartOptions) (resp azfake.PollerResponder[armcompute.VirtualMachinesClientStartResponse], errResp azfake.ErrorResponder) {
			return power[armcompute.VirtualMachinesClientStartResponse](r, rg, name, "running", "starting")
		},
		BeginDeallocate: func(_ context.Context, rg, name string, _ *armcompute.VirtualMachinesClientBeginDeallocateOptions) (resp azfake.PollerResponder[armcompute.VirtualMachinesClientDeallocateResponse], errResp azfake.ErrorResponder) {
			return power[armcompute.VirtualMachinesClientDeallocateResponse](r, rg, name, "deallocated", "deallocating")
		},
		BeginPowerOff: func(_ context.Context, rg, name string, _ *armcompute.VirtualMachinesClientBeginPowerOffOptions) (resp azfake.PollerResponder[armcompute.VirtualMachinesClientPowerOffResponse], errResp azfake.ErrorResponder) {
			return power[armcompute.VirtualMachinesClientPowerOffResponse](r, rg, name, "stopped", "stopping")
		},

		BeginDelete: func(_ context.Context, rg, name string, o *armcompute.VirtualMachinesClientBeginDeleteOptions) (resp azfake.PollerResponder[armcompute.VirtualMachinesClientDeleteResponse], errResp azfake.ErrorResponder) {
			if e, ok := group(rg); !ok {
				return resp, e
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			v, ok := r.vms[strings.ToLower(name)]
			if !ok {
				return done(http.StatusNoContent, armcompute.VirtualMachinesClientDeleteResponse{}), errResp
			}
			if o != nil && o.ForceDeletion != nil && *o.ForceDeletion {
				return resp, errorWith(http.StatusBadRequest, "ForceDeletionNotExpected")
			}
			if !v.deleting {
				v.deleting, v.state, v.ticks, v.powerTicks = true, "Deleting", opGets, 0
			}
			return done(http.StatusAccepted, armcompute.VirtualMachinesClientDeleteResponse{}), errResp
		},
	}
}

func power[T any](r *Rig, rg, name, to, transit string) (resp azfake.PollerResponder[T], errResp azfake.ErrorResponder) {
	if e, ok := group(rg); !ok {
		return resp, e
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	v, e, ok := r.changeable(name)
	if !ok {
		return resp, e
	}
	v.power, v.powerTransit, v.powerTicks = to, transit, opGets
	var zero T
	return done(http.StatusOK, zero), errResp
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (r *Rig) nicServer() networkfake.InterfacesServer {
	return networkfake.InterfacesServer{
		Get: func(_ context.Context, rg, name string, _ *armnetwork.InterfacesClientGetOptions) (resp azfake.Responder[armnetwork.InterfacesClientGetResponse], errResp azfake.ErrorResponder) {
			if e, ok := group(rg); !ok {
				return resp, e
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			nic, ok := r.nics[strings.ToLower(name)]
			if !ok {
				return resp, errorWith(http.StatusNotFound, "NotFound")
			}
			resp.SetResponse(http.StatusOK, armnetwork.InterfacesClientGetResponse{Interface: *nic}, nil)
			return resp, errResp
		},
		BeginCreateOrUpdate: func(_ context.Context, rg, name string, in armnetwork.Interface, _ *armnetwork.InterfacesClientBeginCreateOrUpdateOptions) (resp azfake.PollerResponder[armnetwork.InterfacesClientCreateOrUpdateResponse], errResp azfake.ErrorResponder) {
			if e, ok := group(rg); !ok {
				return resp, e
			}
			if in.Properties == nil || len(in.Properties.IPConfigurations) == 0 || in.Properties.IPConfigurations[0].Properties == nil ||
				in.Properties.IPConfigurations[0].Properties.Subnet == nil {
				return resp, errorWith(http.StatusBadRequest, "InvalidRequestFormat")
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			ipc := in.Properties.IPConfigurations[0].Properties
			if !strings.EqualFold(deref(ipc.Subnet.ID), r.subnetID) {
				return resp, errorWith(http.StatusBadRequest, "InvalidResourceReference")
			}
			key := strings.ToLower(name)
			status := http.StatusCreated
			if old, ok := r.nics[key]; ok {
				status = http.StatusOK
				ipc.PrivateIPAddress = old.Properties.IPConfigurations[0].Properties.PrivateIPAddress
				in.Properties.VirtualMachine = old.Properties.VirtualMachine
			} else {
				r.nextIP++
				ipc.PrivateIPAddress = to.Ptr(fmt.Sprintf("10.0.0.%d", 3+r.nextIP))
			}
			in.ID = to.Ptr(r.id("Microsoft.Network", "networkInterfaces", name))
			in.Name = to.Ptr(name)
			in.Properties.ProvisioningState = to.Ptr(armnetwork.ProvisioningStateSucceeded)
			r.nics[key] = &in
			return done(status, armnetwork.InterfacesClientCreateOrUpdateResponse{Interface: in}), errResp
		},
		BeginDelete: func(_ context.Context, rg, name string, _ *armnetwork.InterfacesClientBeginDeleteOptions) (resp azfake.PollerResponder[armnetwork.InterfacesClientDeleteResponse], errResp azfake.ErrorResponder) {
			if e, ok := group(rg); !ok {
				return resp, e
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			key := strings.ToLower(name)
			nic, ok := r.nics[key]
			if !ok {
				return done(http.StatusNoContent, armnetwork.InterfacesClientDeleteResponse{}), errResp
			}
			if nic.Properties.VirtualMachine != nil {
				return resp, errorWith(http.StatusBadRequest, "NicInUse")
			}
			delete(r.nics, key)
			return done(http.StatusOK, armnetwork.InterfacesClientDeleteResponse{}), errResp
		},
	}
}

func (r *Rig) ruleServer() networkfake.SecurityRulesServer {
	nsg := func(rg, name string) (azfake.ErrorResponder, bool) {
		if e, ok := group(rg); !ok {
			return e, false
		}
		if !strings.EqualFold(name, NSG) {
			return errorWith(http.StatusNotFound, "ResourceNotFound"), false
		}
		return azfake.ErrorResponder{}, true
	}
	return networkfake.SecurityRulesServer{
		Get: func(_ context.Context, rg, nsgName, name string, _ *armnetwork.SecurityRulesClientGetOptions) (resp azfake.Responder[armnetwork.SecurityRulesClientGetResponse], errResp azfake.ErrorResponder) {
			if e, ok := nsg(rg, nsgName); !ok {
				return resp, e
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			sr, ok := r.rules[strings.ToLower(name)]
			if !ok {
				return resp, errorWith(http.StatusNotFound, "NotFound")
			}
			resp.SetResponse(http.StatusOK, armnetwork.SecurityRulesClientGetResponse{SecurityRule: *sr}, nil)
			return resp, errResp
		},
		BeginCreateOrUpdate: func(_ context.Context, rg, nsgName, name string, in armnetwork.SecurityRule, _ *armnetwork.SecurityRulesClientBeginCreateOrUpdateOptions) (resp azfake.PollerResponder[armnetwork.SecurityRulesClientCreateOrUpdateResponse], errResp azfake.ErrorResponder) {
			if e, ok := nsg(rg, nsgName); !ok {
				return resp, e
			}
			p := in.Properties
			if p == nil || p.Priority == nil || p.Protocol == nil || p.Access == nil || p.Direction == nil {
				return resp, errorWith(http.StatusBadRequest, "InvalidRequestFormat")
			}
			if *p.Priority < 100 || *p.Priority > 4096 {
				return resp, errorWith(http.StatusBadRequest, "SecurityRuleInvalidPriority")
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			key := strings.ToLower(name)
			status := http.StatusCreated
			if _, ok := r.rules[key]; ok {
				status = http.StatusOK
			}
			in.ID = to.Ptr(r.id("Microsoft.Network", "networkSecurityGroups", NSG+"/securityRules/"+name))
			in.Name = to.Ptr(name)
			p.ProvisioningState = to.Ptr(armnetwork.ProvisioningStateSucceeded)
			r.rules[key] = &in
			return done(status, armnetwork.SecurityRulesClientCreateOrUpdateResponse{SecurityRule: in}), errResp
		},
		BeginDelete: func(_ context.Context, rg, nsgName, name string, _ *armnetwork.SecurityRulesClientBeginDeleteOptions) (resp azfake.PollerResponder[armnetwork.SecurityRulesClientDeleteResponse], errResp azfake.ErrorResponder) {
			if e, ok := nsg(rg, nsgName); !ok {
				return resp, e
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			key := strings.ToLower(name)
			if _, ok := r.rules[key]; !ok {
				return done(http.StatusNoContent, armnetwork.SecurityRulesClientDeleteResponse{}), errResp
			}
			delete(r.rules, key)
			return done(http.StatusOK, armnetwork.SecurityRulesClientDeleteResponse{}), errResp
		},
	}
}

func (r *Rig) nsgServer() networkfake.SecurityGroupsServer {
	return networkfake.SecurityGroupsServer{
		NewListPager: func(rg string, _ *armnetwork.SecurityGroupsClientListOptions) (resp azfake.PagerResponder[armnetwork.SecurityGroupsClientListResponse]) {
			if !strings.EqualFold(rg, ResourceGroup) {
				resp.AddResponseError(http.StatusNotFound, "ResourceGroupNotFound")
				return resp
			}
			r.mu.Lock()
			defer r.mu.Unlock()
			g := &armnetwork.SecurityGroup{
				ID:         to.Ptr(r.id("Microsoft.Network", "networkSecurityGroups", NSG)),
				Name:       to.Ptr(NSG),
				Location:   to.Ptr(Location),
				Properties: &armnetwork.SecurityGroupPropertiesFormat{},
			}
			for _, sr := range r.rules {
				c := *sr
				g.Properties.SecurityRules = append(g.Properties.SecurityRules, &c)
			}
			resp.AddPage(http.StatusOK, armnetwork.SecurityGroupsClientListResponse{
				SecurityGroupListResult: armnetwork.SecurityGroupListResult{Value: []*armnetwork.SecurityGroup{g}},
			}, nil)
			return resp
		},
	}
}
