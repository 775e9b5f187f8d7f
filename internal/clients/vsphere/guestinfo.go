package vsphere

import (
	"encoding/base64"
	"encoding/json"
	"sort"
	"strings"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// ExtraConfig keys. Everything under guestinfo. is readable inside the guest
// (vmtoolsd --cmd "info-get guestinfo.dbaas.tags"), which is what cloud-init's
// VMware datasource reads its metadata and user data from.
const (
	keyMetadata         = "guestinfo.metadata"
	keyMetadataEncoding = "guestinfo.metadata.encoding"
	keyUserData         = "guestinfo.userdata"
	keyUserDataEncoding = "guestinfo.userdata.encoding"
	keyID               = "guestinfo.dbaas.id"
	keyTags             = "guestinfo.dbaas.tags"
	// keyDiskPrefix + a disk's name holds the disk's place, such as
	// scsi0:1. vCenter gives disks its own labels ("Hard disk 2"), so the
	// name is kept beside the disk rather than on it.
	keyDiskPrefix = "guestinfo.dbaas.disk."

	// keyOwner holds the owner marker of the VirtualMachine that made the
	// machine. It is outside guestinfo. on purpose: the guest can neither
	// read nor set it (a guest can set guestinfo. variables through VMware
	// Tools). ExtraConfig is kept by vCenter and vcsim alike, is written in
	// the clone spec itself (so the machine is marked from its first
	// moment), and is read with the machine's other properties in one call.
	keyOwner = "dbaas.owner"

	// keyGroup holds the machine's anti-affinity group, so that Observe
	// knows which rule should hold the machine. Outside guestinfo. for the
	// same reason as keyOwner.
	keyGroup = "dbaas.antiAffinityGroup"
)

// ownerOf reads the owner marker from a machine's ExtraConfig.
func ownerOf(extra []types.BaseOptionValue) *ownership.Owner {
	for _, o := range extra {
		if v := o.GetOptionValue(); v != nil && v.Key == keyOwner {
			if s, ok := v.Value.(string); ok {
				if owner, ok := ownership.Parse(s); ok {
					return &owner
				}
			}
		}
	}
	return nil
}

// metadata is the cloud-init instance metadata the guest reads.
type metadata struct {
	InstanceID    string   `json:"instance-id"`
	LocalHostname string   `json:"local-hostname"`
	Hostname      string   `json:"hostname"`
	PublicKeys    []string `json:"public-keys,omitempty"`
}

// guestInfo is the ExtraConfig a new machine is cloned with: cloud-init's
// metadata (hostname, SSH key) and user data, the machine's ID and tags,
// and the names of its data disks by place.
//
// Tags go into one ExtraConfig key as JSON rather than into vSphere tags or
// the annotation: vSphere tags live in the separate vAPI (REST) service, need
// their categories made beforehand and another session; the annotation is
// free text people edit in the UI. ExtraConfig is copied with the VM, needs
// nothing made beforehand, and the guest can read it.
func guestInfo(id machine.ID, s machine.Spec, disks map[string]string) []types.BaseOptionValue {
	kv := map[string]string{keyID: idString(id)}

	md := metadata{InstanceID: instanceID(id), LocalHostname: id.Name, Hostname: id.Name}
	if k := strings.TrimSpace(s.SSHPublicKey); k != "" {
		md.PublicKeys = []string{k}
	}
	mdj, _ := json.Marshal(md) // Strings only: cannot fail.
	kv[keyMetadata] = base64.StdEncoding.EncodeToString(mdj)
	kv[keyMetadataEncoding] = "base64"

	if s.UserData != "" {
		kv[keyUserData] = base64.StdEncoding.EncodeToString([]byte(s.UserData))
		kv[keyUserDataEncoding] = "base64"
	}
	if len(s.Tags) > 0 {
		tj, _ := json.Marshal(s.Tags) // map[string]string: cannot fail.
		kv[keyTags] = string(tj)
	}
	for name, place := range disks {
		kv[keyDiskPrefix+name] = place
	}
	return optionValues(kv)
}

func optionValues(kv map[string]string) []types.BaseOptionValue {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]types.BaseOptionValue, 0, len(keys))
	for _, k := range keys {
		out = append(out, &types.OptionValue{Key: k, Value: kv[k]})
	}
	return out
}

func idString(id machine.ID) string {
	if id.Namespace == "" {
		return id.Name
	}
	return id.Namespace + "/" + id.Name
}

// instanceID changes when the machine is another machine, so cloud-init runs
// its once-per-instance modules on a clone of a template that ran them.
func instanceID(id machine.ID) string {
	if id.Namespace == "" {
		return id.Name
	}
	return id.Namespace + "." + id.Name
}
