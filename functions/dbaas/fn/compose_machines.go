/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package fn

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/function-sdk-go/resource"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// dataDisk is the name of the disk that holds a member's data.
const dataDisk = "data"

// machines is how many machines a tier's database runs on: one per member,
// and none for a shared tier, whose database lives on an existing server.
func machines(t v1beta1.Tier) int32 {
	switch t.Topology {
	case v1beta1.TopologyShared:
		return 0
	case v1beta1.TopologyPrimary:
		return t.Members
	default:
		return 1
	}
}

// machineNames are the names of a tier's machines, the primary's first. The
// first machine is always vm, the others vm-2, vm-3 and on: a dev database
// that moves to a tier with replicas keeps its machine and its data, and
// gains replicas beside it.
func machineNames(t v1beta1.Tier) []resource.Name {
	n := machines(t)
	names := make([]resource.Name, 0, n)
	for i := range n {
		names = append(names, memberName(int(i)))
	}
	return names
}

// memberName is the name of the i-th (from zero) member's machine.
func memberName(i int) resource.Name {
	if i == 0 {
		return nameVM
	}
	return nameVM + resource.Name("-"+strconv.Itoa(i+1))
}

// composeMachines returns one VirtualMachine per member, by name: the
// environment's machine settings, sized by the SKU, with a data disk of the
// claim's storage, and spread across the environment's zones.
func composeMachines(t target, s selection) map[resource.Name]*computev1alpha1.VirtualMachine {
	names := machineNames(s.Tier)
	out := make(map[resource.Name]*computev1alpha1.VirtualMachine, len(names))
	for i, name := range names {
		out[name] = &computev1alpha1.VirtualMachine{
			ObjectMeta: t.meta(name),
			Spec: computev1alpha1.VirtualMachineSpec{
				ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: providerConfig(s.Environment.ProviderConfigRef)},
				ForProvider:         machineParameters(t, s, i),
			},
		}
	}
	return out
}

// machineParameters are the i-th member's machine. Each member gets its own
// copy of the environment's settings: the SDK serialises the maps and
// pointers it is given, and members differ in their zone.
func machineParameters(t target, s selection, i int) computev1alpha1.VirtualMachineParameters {
	p := computev1alpha1.VirtualMachineParameters{}
	if s.Environment.Machine != nil {
		p = *s.Environment.Machine.DeepCopy()
	}
	p.CPU = s.SKU.CPU
	p.MemoryMiB = s.SKU.MemoryMiB
	p.Disks = append(p.Disks, computev1alpha1.Disk{Name: dataDisk, SizeGiB: int32(s.StorageGB)})
	if s.Environment.Image != "" {
		p.Image = s.Environment.Image
	}
	if s.Environment.Network != "" {
		p.Network = s.Environment.Network
	}
	p.PowerState = computev1alpha1.PowerOn

	// Members take the zones in turn, so that losing one zone loses as few
	// members as the zones allow: GCP zones and Azure availability zones.
	if zones := s.Environment.Zones; len(zones) > 0 {
		zone := zones[i%len(zones)]
		if p.GCP != nil {
			p.GCP.Zone = zone
		}
		if p.Azure != nil {
			p.Azure.Zone = zone
		}
	}
	// vSphere has no zones of its own here: the members of one database
	// share a DRS anti-affinity rule instead, which keeps them on different
	// hosts. A single member has nothing to be kept apart from.
	if p.VSphere != nil && len(machineNames(s.Tier)) > 1 {
		p.VSphere.AntiAffinityGroup = affinityGroup(t)
	}
	return p
}

// maxAffinityGroup is the longest anti-affinity group name the API accepts,
// a DNS label.
const maxAffinityGroup = 63

// affinityGroup names the anti-affinity group of a database's machines
// after its namespace and name, so that two databases (in the same or in
// different namespaces) never share a rule. A name too long for a DNS label
// keeps its start and gets a hash of the whole, which keeps it unique.
func affinityGroup(t target) string {
	g := strings.ReplaceAll(t.Namespace+"-"+t.XRName, ".", "-")
	if len(g) <= maxAffinityGroup {
		return g
	}
	sum := sha256.Sum256([]byte(t.Namespace + "/" + t.XRName))
	h := hex.EncodeToString(sum[:])[:8]
	return strings.TrimRight(g[:maxAffinityGroup-len(h)-1], "-") + "-" + h
}
