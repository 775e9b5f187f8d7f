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
//
// One file per stage of a machine's life: backend.go (the Backend, where a
// machine goes), lookup.go (finding and reading it, Observe), create.go
// (the clone), update.go (resize, disks, power, Mark), power.go, delete.go;
// beside them disks.go and guestinfo.go (what ExtraConfig holds),
// antiaffinity.go (the DRS rule of a machine's anti-affinity group),
// rules.go (FirewallRule) and client.go (the login and how faults are
// classified).
package vsphere

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

const backendName = "vSphere"

const errNoConfig = "the provider config has no vsphere block"

// A Backend drives machines in one vCenter.
type Backend struct {
	c   *govmomi.Client
	cfg apisv1alpha1.VSphereBackendConfig

	// ShutdownTimeout bounds how long a guest shutdown before a cold CPU
	// or memory change may take before the machine is powered off.
	ShutdownTimeout time.Duration

	// outside holds the IDs of the machines Observe found outside their
	// anti-affinity group's rule (a create cut short between the clone
	// and the rule, a rule an admin edited), for Differences: Update then
	// puts them back.
	outside sync.Map // machine ID → group
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

// Differences compares CPU, memory, disks and power exactly, and names a
// machine that Observe found outside its anti-affinity rule.
func (b *Backend) Differences(s machine.Spec, m *machine.Machine) []string {
	out := machine.Differences(s, m)
	if group := antiAffinityGroup(s.VSphere); group != "" {
		if g, ok := b.outside.Load(m.ID); ok && g == group {
			out = append(out, fmt.Sprintf("not in the anti-affinity rule %s", ruleName(group)))
		}
	}
	return out
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
