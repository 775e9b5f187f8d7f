// Package vspherefake runs vCenter's simulator (vcsim) in process behind a
// counting, throttling reverse proxy, as the vSphere backend's rig.
//
// The simulator is govmomi's VPX model: datacenter DC0, standalone host
// DC0_H0, cluster DC0_C0 with three hosts, datastore LocalDS_0, port groups
// "VM Network" and DC0_DVPG0. Its VM DC0_H0_VM0 is made the template
// Template ("ubuntu-22.04").
//
// vcsim reports no guest IP for a powered-on clone: only container-backed
// VMs, guest customization with a fixed IP, or an ExtraConfig key
// SET.guest.ipAddress give one. A real guest reports its IP through VMware
// Tools a little after it boots, so the rig plays the guest: when a VM
// powers on, it sets an address shortly after (see WithoutGuestIP and
// SetGuestIP).
package vspherefake

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/testing/machinetest"
)

// Names in the simulator's inventory.
const (
	Datacenter = "DC0"
	Cluster    = "DC0_C0"
	Datastore  = "LocalDS_0"
	PortGroup  = "VM Network"
	DVPortGrp  = "DC0_DVPG0"
	Template   = "ubuntu-22.04"

	// CredentialsSecret is the Secret the provider config's credentials
	// name; the caller fills in its namespace.
	CredentialsSecret = "vsphere-creds"

	username = "dbaas"
	password = "vcsim-password"
)

// A Rig is a running vcsim behind a proxy that counts and throttles.
type Rig struct {
	t      testing.TB
	model  *simulator.Model
	sim    *simulator.Server
	proxy  *httptest.Server
	client *govmomi.Client // straight to vcsim, not counted

	// Faults answers 429 with a SOAP fault, and 503 from the proxy as a
	// load balancer in front of a restarting vCenter does.
	machinetest.Faults

	guestIPs bool
	nextIP   atomic.Int32
	handler  *powerWatch
	wg       sync.WaitGroup
	closed   atomic.Bool
	closeMu  sync.Once
}

var _ machinetest.Rig = &Rig{}

// An Option changes how the rig starts.
type Option func(*Rig)

// WithoutGuestIP leaves guests without an IP address after they power on,
// as a guest without VMware Tools would.
func WithoutGuestIP() Option { return func(r *Rig) { r.guestIPs = false } }

// Start runs vcsim and the proxy; t.Cleanup closes them.
func Start(t testing.TB, opts ...Option) *Rig {
	t.Helper()
	r := &Rig{t: t, guestIPs: true}
	for _, o := range opts {
		o(r)
	}
	m := simulator.VPX()
	// vcsim's defaults already have no per-call delay; keep it so, so that
	// hundreds of machines are cheap. (Task delays come from
	// simulator.TaskDelay, which is empty unless a test sets it.)
	m.DelayConfig = simulator.DelayConfig{}
	if err := m.Create(); err != nil {
		t.Fatalf("vcsim: %v", err)
	}
	m.Service.Listen = &url.URL{User: url.UserPassword(username, password)}
	r.model = m
	r.sim = m.Service.NewServer()

	target := r.sim.URL
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	r.proxy = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch r.Next() {
		case machinetest.Throttled:
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = fmt.Fprint(w, tooMany)
			return
		case machinetest.Down:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprint(w, "<html><body>503 Service Unavailable</body></html>")
			return
		}
		rp.ServeHTTP(w, req)
	}))

	ctx := context.Background()
	direct := *target
	direct.User = url.UserPassword(username, password)
	c, err := govmomi.NewClient(ctx, &direct, true)
	if err != nil {
		r.Close()
		t.Fatalf("vcsim client: %v", err)
	}
	r.client = c
	if err := r.makeTemplate(ctx); err != nil {
		r.Close()
		t.Fatalf("vcsim template: %v", err)
	}
	r.handler = &powerWatch{rig: r}
	m.Map().AddHandler(r.handler)
	t.Cleanup(r.Close)
	return r
}

// tooMany is a SOAP fault, as a throttling proxy in front of vCenter might
// answer; govmomi reports the status, not the body.
const tooMany = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Too many requests</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`

// makeTemplate powers DC0_H0_VM0 off, renames it and marks it a template.
func (r *Rig) makeTemplate(ctx context.Context) error {
	f := find.NewFinder(r.client.Client, true)
	vm, err := f.VirtualMachine(ctx, "/"+Datacenter+"/vm/DC0_H0_VM0")
	if err != nil {
		return err
	}
	if t, err := vm.PowerOff(ctx); err == nil {
		_ = t.Wait(ctx)
	}
	t, err := vm.Rename(ctx, Template)
	if err != nil {
		return err
	}
	if err := t.Wait(ctx); err != nil {
		return err
	}
	return vm.MarkAsTemplate(ctx)
}

// Backend is "vsphere".
func (r *Rig) Backend() apisv1alpha1.Backend { return apisv1alpha1.BackendVSphere }

// URL is the SDK endpoint behind the proxy.
func (r *Rig) URL() string { return r.proxy.URL + "/sdk" }

// Client is a govmomi client straight to vcsim: its calls are not counted
// or throttled.
func (r *Rig) Client() *govmomi.Client { return r.client }

// Config is the provider config's vsphere block for the rig.
func (r *Rig) Config() *apisv1alpha1.VSphereBackendConfig {
	return &apisv1alpha1.VSphereBackendConfig{
		URL: r.URL(), InsecureSkipVerify: true, Datacenter: Datacenter, Cluster: Cluster, Datastore: Datastore,
	}
}

// ProviderConfig reaches the rig. Its credentials are read from the Secret
// vsphere-creds, key "credentials"; the caller sets the Secret's namespace.
func (r *Rig) ProviderConfig() apisv1alpha1.ProviderConfigSpec {
	return apisv1alpha1.ProviderConfigSpec{
		Backend: apisv1alpha1.BackendVSphere,
		Credentials: &apisv1alpha1.ProviderCredentials{
			Source: xpv2.CredentialsSourceSecret,
			CommonCredentialSelectors: xpv2.CommonCredentialSelectors{
				SecretRef: &xpv2.SecretKeySelector{
					SecretReference: xpv2.SecretReference{Name: CredentialsSecret},
					Key:             "credentials",
				},
			},
		},
		VSphere: r.Config(),
	}
}

// Credentials are the JSON the backend logs in with.
func (r *Rig) Credentials() []byte {
	return fmt.Appendf(nil, `{"username":%q,"password":%q}`, username, password)
}

// Image is the template.
func (r *Rig) Image() string { return Template }

func (r *Rig) vms(ctx context.Context, name string) ([]mo.VirtualMachine, error) {
	v, err := view.NewManager(r.client.Client).CreateContainerView(ctx, r.client.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, err
	}
	defer func() { _ = v.Destroy(ctx) }()
	var all []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name"}, &all); err != nil {
		return nil, err
	}
	var out []mo.VirtualMachine
	for _, vm := range all {
		if vm.Name == name {
			out = append(out, vm)
		}
	}
	return out, nil
}

// Machines counts VMs named name anywhere in the inventory.
func (r *Rig) Machines(name string) (int, error) {
	vms, err := r.vms(context.Background(), name)
	return len(vms), err
}

func (r *Rig) one(ctx context.Context, name string) (*object.VirtualMachine, error) {
	vms, err := r.vms(ctx, name)
	switch {
	case err != nil:
		return nil, err
	case len(vms) == 0:
		return nil, nil
	case len(vms) > 1:
		return nil, fmt.Errorf("%d VMs are named %s", len(vms), name)
	}
	return object.NewVirtualMachine(r.client.Client, vms[0].Self), nil
}

// VM reads a VM's properties straight from vcsim; nil when it does not
// exist.
func (r *Rig) VM(name string, props ...string) (*mo.VirtualMachine, error) {
	ctx := context.Background()
	vm, err := r.one(ctx, name)
	if err != nil || vm == nil {
		return nil, err
	}
	var mv mo.VirtualMachine
	return &mv, property.DefaultCollector(r.client.Client).RetrieveOne(ctx, vm.Reference(), props, &mv)
}

// Get reads a machine's CPU, memory, data disks (named as the backend names
// them, by guestinfo.dbaas.disk.* keys) and power.
func (r *Rig) Get(name string) (*machine.Machine, error) {
	mv, err := r.VM(name, "config.hardware", "config.extraConfig", "runtime.powerState", "guest.ipAddress")
	if err != nil || mv == nil {
		return nil, err
	}
	m := &machine.Machine{
		ID: mv.Self.Value, CPU: mv.Config.Hardware.NumCPU, MemoryMiB: mv.Config.Hardware.MemoryMB,
		PowerState: machine.PowerOff,
	}
	if mv.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
		m.PowerState = machine.PowerOn
	}
	if mv.Guest != nil {
		m.Address = mv.Guest.IpAddress
	}
	m.Disks = DataDisks(mv)
	return m, nil
}

// DataDisks reads the disks named by guestinfo.dbaas.disk.<name> = place,
// independently of the backend's code.
func DataDisks(mv *mo.VirtualMachine) []machine.Disk {
	devices := object.VirtualDeviceList(mv.Config.Hardware.Device)
	places := map[string]string{}
	for _, o := range mv.Config.ExtraConfig {
		v := o.GetOptionValue()
		const prefix = "guestinfo.dbaas.disk."
		if len(v.Key) > len(prefix) && v.Key[:len(prefix)] == prefix {
			places[fmt.Sprint(v.Value)] = v.Key[len(prefix):]
		}
	}
	var out []machine.Disk
	for _, d := range devices.SelectByType((*types.VirtualDisk)(nil)) {
		disk := d.(*types.VirtualDisk)
		ctl, ok := devices.FindByKey(disk.ControllerKey).(types.BaseVirtualSCSIController)
		if !ok || disk.UnitNumber == nil {
			continue
		}
		place := fmt.Sprintf("scsi%d:%d", ctl.GetVirtualSCSIController().BusNumber, *disk.UnitNumber)
		if name, ok := places[place]; ok {
			out = append(out, machine.Disk{Name: name, SizeGiB: int32(disk.CapacityInBytes >> 30)})
		}
	}
	return machine.SortDisks(out)
}

// Drift reconfigures a VM's CPU and memory straight in vcsim, as someone
// with the vSphere client would.
func (r *Rig) Drift(name string, cpu, memoryMiB int32) error {
	return r.Reconfigure(name, types.VirtualMachineConfigSpec{NumCPUs: cpu, MemoryMB: int64(memoryMiB)})
}

// Reconfigure applies a config spec to a VM straight in vcsim.
func (r *Rig) Reconfigure(name string, spec types.VirtualMachineConfigSpec) error {
	ctx := context.Background()
	vm, err := r.one(ctx, name)
	if err != nil {
		return err
	}
	if vm == nil {
		return fmt.Errorf("no VM is named %s", name)
	}
	t, err := vm.Reconfigure(ctx, spec)
	if err != nil {
		return err
	}
	return t.Wait(ctx)
}

// SetGuestIP makes a VM report ip as its guest's address, as VMware Tools
// would; "" clears it.
func (r *Rig) SetGuestIP(name, ip string) error {
	return r.Reconfigure(name, types.VirtualMachineConfigSpec{ExtraConfig: []types.BaseOptionValue{
		&types.OptionValue{Key: "SET.guest.ipAddress", Value: ip},
	}})
}

// Close stops the proxy and vcsim.
func (r *Rig) Close() {
	r.closeMu.Do(func() {
		r.closed.Store(true)
		if r.handler != nil {
			r.model.Map().RemoveHandler(r.handler)
		}
		r.wg.Wait()
		if r.proxy != nil {
			r.proxy.Close()
		}
		if r.client != nil {
			_ = r.client.Logout(context.Background())
		}
		if r.sim != nil {
			r.sim.Close()
		}
		r.model.Remove()
	})
}

// powerWatch plays the guest: it gives a VM that powers on an address, and
// takes it away when the VM powers off, as VMware Tools would report.
// The addresses are set in the order the power changes happened, by one
// goroutine at a time: set from a goroutine each, a quick off and on (a
// cold resize) could have its "no address" land after the new address, and
// the guest would look address-less for ever.
type powerWatch struct {
	rig *Rig

	mu       sync.Mutex
	queue    []guestIP
	draining bool
}

// guestIP is an address a VM's guest reports; empty after a power off.
type guestIP struct {
	vm types.ManagedObjectReference
	ip string
}

func (*powerWatch) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "dbaasPowerWatch", Value: "guest-ip"}
}

func (*powerWatch) PutObject(*simulator.Context, mo.Reference)                    {}
func (*powerWatch) RemoveObject(*simulator.Context, types.ManagedObjectReference) {}

func (w *powerWatch) UpdateObject(_ *simulator.Context, obj mo.Reference, changes []types.PropertyChange) {
	r := w.rig
	if !r.guestIPs || r.closed.Load() {
		return
	}
	ref := obj.Reference()
	if ref.Type != "VirtualMachine" {
		return
	}
	for _, c := range changes {
		if c.Name != "runtime.powerState" {
			continue
		}
		ip := ""
		if c.Val == types.VirtualMachinePowerStatePoweredOn {
			ip = fmt.Sprintf("10.0.%d.%d", 1+r.nextIP.Load()/250, 1+r.nextIP.Add(1)%250)
		}
		w.enqueue(guestIP{vm: ref, ip: ip})
	}
}

// enqueue queues an address for the guest. The simulator holds its locks
// while it calls handlers, so the address is set from another goroutine,
// as a guest would a moment later.
func (w *powerWatch) enqueue(g guestIP) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.queue = append(w.queue, g)
	if w.draining {
		return
	}
	w.draining = true
	w.rig.wg.Add(1)
	go w.drain()
}

// drain sets the queued addresses in order until none is left.
func (w *powerWatch) drain() {
	defer w.rig.wg.Done()
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			w.draining = false
			w.mu.Unlock()
			return
		}
		g := w.queue[0]
		w.queue = w.queue[1:]
		w.mu.Unlock()
		vm := object.NewVirtualMachine(w.rig.client.Client, g.vm)
		t, err := vm.Reconfigure(context.Background(), types.VirtualMachineConfigSpec{ExtraConfig: []types.BaseOptionValue{
			&types.OptionValue{Key: "SET.guest.ipAddress", Value: g.ip},
		}})
		if err == nil {
			_ = t.Wait(context.Background())
		}
	}
}
