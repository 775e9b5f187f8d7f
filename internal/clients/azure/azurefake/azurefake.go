// Package azurefake is an in-memory Azure for the Azure machine backend's
// tests: the SDK's own fake servers (armcompute and armnetwork fake
// packages) answer the real clients, backed by maps of VMs, NICs, disks
// and security rules, with ARM's error codes, quota refusals, throttling
// and a call counter.
package azurefake

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	computefake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	networkfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7/fake"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/azure"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/testing/machinetest"
)

// What the fake holds from the start.
const (
	ResourceGroup = "dbaas-test"
	Location      = "westeurope"
	NSG           = "dbaas-nsg"
	ImageURN      = "Canonical:ubuntu-24_04-lts:server:latest"
	osDiskGiB     = 30
)

// Provisioning states the fake shows while an operation is in flight, and
// for how many Gets of the VM.
const (
	createGets = 2
	opGets     = 1
)

type vm struct {
	model armcompute.VirtualMachine // without provisioning state and instance view

	state string // shown while ticks > 0; Succeeded afterwards
	ticks int

	power        string // running, deallocated, stopped
	powerTransit string // shown while powerTicks > 0
	powerTicks   int

	deleting bool // gone at the first Get after its ticks
}

// A Rig is a running in-memory Azure.
type Rig struct {
	sub      string
	subnetID string
	imageID  string

	mu        sync.Mutex
	images    map[string]bool
	overQuota map[string]bool
	vms       map[string]*vm
	nics      map[string]*armnetwork.Interface
	disks     map[string]int32
	rules     map[string]*armnetwork.SecurityRule
	nextIP    int

	// Faults answers 503 in ARM's format and 429 with ARM's throttling
	// message.
	machinetest.Faults
	transport policy.Transporter
}

var _ machinetest.Rig = &Rig{}

// Start starts an in-memory Azure with one resource group, one subnet, one
// network security group and two images; it is closed when the test ends.
func Start(t testing.TB) *Rig {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	sub := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	r := &Rig{
		sub:       sub,
		subnetID:  fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/dbaas-vnet/subnets/default", sub, ResourceGroup),
		imageID:   fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/images/dbaas-base", sub, ResourceGroup),
		overQuota: map[string]bool{},
		vms:       map[string]*vm{},
		nics:      map[string]*armnetwork.Interface{},
		disks:     map[string]int32{},
		rules:     map[string]*armnetwork.SecurityRule{},
	}
	r.images = map[string]bool{strings.ToLower(ImageURN): true, strings.ToLower(r.imageID): true}
	r.transport = &router{
		r:       r,
		compute: computefake.NewServerFactoryTransport(&computefake.ServerFactory{VirtualMachinesServer: r.vmServer()}),
		network: networkfake.NewServerFactoryTransport(&networkfake.ServerFactory{
			InterfacesServer:     r.nicServer(),
			SecurityRulesServer:  r.ruleServer(),
			SecurityGroupsServer: r.nsgServer(),
		}),
	}
	t.Cleanup(r.Close)
	return r
}

// Options reach this fake: give them to azure.New.
func (r *Rig) Options() azure.Options {
	return azure.Options{Transport: r.transport, Credential: &azfake.TokenCredential{}}
}

// Config is the provider config's azure block.
func (r *Rig) Config() *apisv1alpha1.AzureBackendConfig {
	return &apisv1alpha1.AzureBackendConfig{SubscriptionID: r.sub, ResourceGroup: ResourceGroup, Location: Location}
}

// Subnet is the resource ID of the fake's one subnet, for spec.network.
func (r *Rig) Subnet() string { return r.subnetID }

// ImageID is the resource ID of an image the fake has.
func (r *Rig) ImageID() string { return r.imageID }

// OverQuota makes creating or resizing to size fail as over quota.
func (r *Rig) OverQuota(size string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.overQuota[strings.ToLower(size)] = true
}

// Counts returns how many VMs, NICs and managed disks (OS and data) the
// fake holds.
func (r *Rig) Counts() (vms, nics, disks int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.vms), len(r.nics), len(r.disks)
}

// Size is a VM's size as the fake holds it; empty when there is no VM.
func (r *Rig) Size(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.vms[strings.ToLower(name)]; ok {
		return string(*v.model.Properties.HardwareProfile.VMSize)
	}
	return ""
}

// VM returns a copy of a VM as the fake holds it; nil when there is none.
func (r *Rig) VM(name string) *armcompute.VirtualMachine {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.vms[strings.ToLower(name)]
	if !ok {
		return nil
	}
	return r.view(v, Succeeded, false)
}

// Rule returns a security rule of the fake's network security group; nil
// when there is none.
func (r *Rig) Rule(name string) *armnetwork.SecurityRule {
	r.mu.Lock()
	defer r.mu.Unlock()
	if sr, ok := r.rules[strings.ToLower(name)]; ok {
		c := *sr
		return &c
	}
	return nil
}

// Backend is azure.
func (r *Rig) Backend() apisv1alpha1.Backend { return apisv1alpha1.BackendAzure }

// ProviderConfig reaches the fake when the provider is given Options().
func (r *Rig) ProviderConfig() apisv1alpha1.ProviderConfigSpec {
	return apisv1alpha1.ProviderConfigSpec{
		Backend:     apisv1alpha1.BackendAzure,
		Credentials: &apisv1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceNone},
		Azure:       r.Config(),
	}
}

// Credentials are none: Options() carries a fake credential.
func (r *Rig) Credentials() []byte { return nil }

// Image is a marketplace image URN the fake has.
func (r *Rig) Image() string { return ImageURN }

// Machines counts the VMs named name.
func (r *Rig) Machines(name string) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.vms[strings.ToLower(name)]; ok {
		return 1, nil
	}
	return 0, nil
}

// Get reads a VM from the store, around the API.
func (r *Rig) Get(name string) (*machine.Machine, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.vms[strings.ToLower(name)]
	if !ok {
		return nil, nil
	}
	p := v.model.Properties
	m := &machine.Machine{ID: *v.model.ID, PowerState: machine.PowerOff}
	m.CPU, m.MemoryMiB, _ = azure.SizeOf(string(*p.HardwareProfile.VMSize))
	for _, d := range p.StorageProfile.DataDisks {
		m.Disks = append(m.Disks, machine.Disk{Name: strings.TrimPrefix(*d.Name, name+"-"), SizeGiB: *d.DiskSizeGB})
	}
	m.Disks = machine.SortDisks(m.Disks)
	if v.power == "running" {
		m.PowerState = machine.PowerOn
	}
	if nic, ok := r.nics[strings.ToLower(azure.NICName(name))]; ok {
		m.Address = *nic.Properties.IPConfigurations[0].Properties.PrivateIPAddress
	}
	return m, nil
}

// Drift resizes a VM in the store to the table's size for cpu and memory.
func (r *Rig) Drift(name string, cpu, memoryMiB int32) error {
	size, err := azure.SizeFor(cpu, memoryMiB)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.vms[strings.ToLower(name)]
	if !ok {
		return fmt.Errorf("no virtual machine %s", name)
	}
	v.model.Properties.HardwareProfile.VMSize = (*armcompute.VirtualMachineSizeTypes)(&size)
	return nil
}

// Close does nothing: the fake holds no sockets or processes.
func (r *Rig) Close() {}

// A router sends each request to the fake server of its resource
// provider, after counting it and perhaps throttling it.
type router struct {
	r                *Rig
	compute, network policy.Transporter
}

func (t *router) Do(req *http.Request) (*http.Response, error) {
	switch t.r.Next() {
	case machinetest.Down:
		return armError(req, http.StatusServiceUnavailable, "ServiceUnavailable",
			"The service is temporarily unavailable. Please try again later.", nil), nil
	case machinetest.Throttled:
		return armError(req, http.StatusTooManyRequests, "TooManyRequests",
			"The request is being throttled as the limit has been reached for operation type - Read_ObservationCount. Please retry after 1 second.",
			http.Header{"Retry-After": {"1"}}), nil
	}
	path := strings.ToLower(req.URL.Path)
	switch {
	case strings.Contains(path, "/providers/microsoft.compute/"):
		return t.compute.Do(req)
	case strings.Contains(path, "/providers/microsoft.network/"):
		return t.network.Do(req)
	}
	return armError(req, http.StatusNotFound, "InvalidResourceType", "The resource type could not be found.", nil), nil
}

// armError is an error response in ARM's format.
func armError(req *http.Request, status int, code, message string, h http.Header) *http.Response {
	if h == nil {
		h = http.Header{}
	}
	body := fmt.Sprintf(`{"error":{"code":%q,"message":%q}}`, code, message)
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("x-ms-error-code", code)
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader([]byte(body))),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
