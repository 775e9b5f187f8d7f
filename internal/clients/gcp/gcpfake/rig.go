package gcpfake

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	compute "google.golang.org/api/compute/v1"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/testing/machinetest"
)

// A Rig is a Server with the window onto its state that machinetest.Rig
// asks for.
type Rig struct {
	*Server
}

var _ machinetest.Rig = &Rig{}

// Start starts a fake that t's cleanup stops.
func Start(t testing.TB) *Rig {
	t.Helper()
	r := &Rig{Server: NewServer()}
	t.Cleanup(r.Close)
	return r
}

// Backend is gcp.
func (r *Rig) Backend() apisv1alpha1.Backend { return apisv1alpha1.BackendGCP }

// Config is the gcp block that reaches the fake.
func (r *Rig) Config() *apisv1alpha1.GCPBackendConfig {
	return &apisv1alpha1.GCPBackendConfig{Project: r.project, Zone: Zone, Endpoint: r.Endpoint()}
}

// ProviderConfig is a gcp provider config that reaches the fake, without
// credentials.
func (r *Rig) ProviderConfig() apisv1alpha1.ProviderConfigSpec {
	return apisv1alpha1.ProviderConfigSpec{
		Backend:     apisv1alpha1.BackendGCP,
		Credentials: &apisv1alpha1.ProviderCredentials{Source: xpv2.CredentialsSourceNone},
		GCP:         r.Config(),
	}
}

// Credentials are nil: the fake takes unauthenticated requests.
func (r *Rig) Credentials() []byte { return nil }

// Image is an image the fake has.
func (r *Rig) Image() string { return ImageLink }

// Machines counts the instances named name in every zone.
func (r *Rig) Machines(name string) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for k := range r.instances {
		if _, nm, _ := strings.Cut(k, "/"); nm == name {
			n++
		}
	}
	return n, nil
}

func (r *Rig) find(name string) (*compute.Instance, string) {
	keys := make([]string, 0, len(r.instances))
	for k := range r.instances {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if zone, nm, _ := strings.Cut(k, "/"); nm == name {
			return r.instances[k], zone
		}
	}
	return nil, ""
}

// Get reads an instance from the store, without going through the API
// and without letting its operations go on.
func (r *Rig) Get(name string) (*machine.Machine, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	inst, zone := r.find(name)
	if inst == nil {
		return nil, nil
	}
	t := inst.MachineType[strings.LastIndex(inst.MachineType, "/")+1:]
	sz, e := r.machineSize(zone, t)
	if e != nil {
		return nil, fmt.Errorf("instance %s has machine type %s: %s", name, t, e.msg)
	}
	m := &machine.Machine{
		ID:        "projects/" + r.project + "/" + instancePath(zone, name),
		CPU:       int32(sz.cpu),
		MemoryMiB: int32(sz.mem),
	}
	for _, d := range inst.Disks {
		if !d.Boot {
			m.Disks = append(m.Disks, machine.Disk{Name: d.DeviceName, SizeGiB: int32(d.DiskSizeGb)})
		}
	}
	m.Disks = machine.SortDisks(m.Disks)
	if len(inst.NetworkInterfaces) > 0 {
		m.Address = inst.NetworkInterfaces[0].NetworkIP
	}
	switch inst.Status {
	case "RUNNING":
		m.PowerState = machine.PowerOn
	case "TERMINATED":
		m.PowerState = machine.PowerOff
	default:
		m.PowerState = machine.PowerOn
		m.Pending = inst.Status
	}
	return m, nil
}

// Drift gives an instance the custom machine type of cpu and memoryMiB,
// as someone with the console would.
func (r *Rig) Drift(name string, cpu, memoryMiB int32) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	inst, zone := r.find(name)
	if inst == nil {
		return fmt.Errorf("no instance %s", name)
	}
	inst.MachineType = r.link(fmt.Sprintf("zones/%s/machineTypes/custom-%d-%d", zone, cpu, memoryMiB))
	return nil
}

// Instance returns a copy of the stored instance named name, or nil.
func (r *Rig) Instance(name string) *compute.Instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	inst, _ := r.find(name)
	if inst == nil {
		return nil
	}
	return clone(inst)
}

// Disks lists the names of the disks in every zone, sorted.
func (r *Rig) Disks() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []string{}
	for k := range r.disks {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Disk returns a copy of the disk named name in zone, or nil.
func (r *Rig) Disk(zone, name string) *compute.Disk {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, ok := r.disks[zone+"/"+name]
	if !ok {
		return nil
	}
	return clone(d)
}
