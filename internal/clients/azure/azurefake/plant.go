package azurefake

import (
	"context"
	"fmt"
	"strings"

	"github.com/dbaas-io/dbaas/internal/clients/azure"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// Plant makes a VM named name (with its NIC) through the ARM API, as
// someone with the portal would, tagged with owner's tags when owner is
// set and with no tags at all otherwise.
func (r *Rig) Plant(name string, owner *ownership.Owner) error {
	b, err := azure.New(r.Config(), nil, r.Options())
	if err != nil {
		return err
	}
	s := machine.Spec{CPU: 2, MemoryMiB: 8192, Image: ImageURN, Network: r.Subnet(), PowerState: machine.PowerOn,
		SSHPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDbaasPlantedByHand console"}
	if owner != nil {
		s.Owner = *owner
	}
	if _, err := b.Create(context.Background(), machine.ID{Namespace: "console", Name: name}, s); err != nil {
		return err
	}
	if owner != nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.vms[strings.ToLower(name)]
	if !ok {
		return fmt.Errorf("virtual machine %s was not made", name)
	}
	v.model.Tags = nil
	if nic, ok := r.nics[strings.ToLower(azure.NICName(name))]; ok {
		nic.Tags = nil
	}
	return nil
}

// OwnerOf reads the owner tags of the VM named name.
func (r *Rig) OwnerOf(name string) (*ownership.Owner, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.vms[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("no virtual machine %s", name)
	}
	l := map[string]string{}
	for k, val := range v.model.Tags {
		if val != nil {
			l[k] = *val
		}
	}
	if o, ok := ownership.FromLabels(l); ok {
		return &o, nil
	}
	return nil, nil
}
