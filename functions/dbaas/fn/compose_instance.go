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
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"k8s.io/utils/ptr"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
	"github.com/dbaas-io/dbaas/internal/engine/pgtune"
)

// composeInstance returns the engine running on the members' machines, the
// primary on the first of vms.
func composeInstance(t target, s selection, vms []xpv2.NamespacedReference) *enginev1alpha1.DatabaseInstance {
	// The engine's settings follow the machine's size, so that a SKU only
	// says how large a machine is.
	tuned := pgtune.Derive(pgtune.Machine{
		CPU:             s.SKU.CPU,
		MemoryMiB:       s.SKU.MemoryMiB,
		StorageGiB:      s.StorageGB,
		MaxConnections:  s.SKU.MaxConnections,
		SharedBuffersMB: s.SKU.SharedBuffersMB,
	})

	p := enginev1alpha1.DatabaseInstanceParameters{
		Engine:                 enginev1alpha1.Engine(s.Engine.Name),
		Version:                s.Version,
		Topology:               enginev1alpha1.TopologySingle,
		VirtualMachineRefs:     vms,
		StorageGB:              int32(s.StorageGB),
		DataDevice:             s.Environment.DataDevice,
		MaxConnections:         ptr.To(tuned.MaxConnections),
		SharedBuffersMB:        ptr.To(tuned.SharedBuffersMB),
		Parameters:             tuned.Parameters,
		Extensions:             s.Flavor.Extensions,
		AdminPasswordSecretRef: xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: t.XRName + "-admin"}, Key: adminPasswordKey},
		AutoGeneratePassword:   true,
	}
	if s.Tier.Topology == v1beta1.TopologyPrimary {
		p.Topology = enginev1alpha1.TopologyPrimary
		p.Replicas = ptr.To(int32(len(vms) - 1))
		p.Replication = replication(s.Tier)
		// Set either way: the instance fails over by default, and a tier
		// without failover must say so.
		p.Failover = &enginev1alpha1.FailoverParameters{Enabled: ptr.To(s.Tier.Failover)}
	}

	om := t.meta(nameInstance)
	if t.Restore != nil {
		p.Bootstrap = t.Restore.Bootstrap
		om.Annotations = map[string]string{annotationRestoredDatabase: t.Restore.Database}
	}

	return &enginev1alpha1.DatabaseInstance{
		ObjectMeta: om,
		Spec: enginev1alpha1.DatabaseInstanceSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{
				ProviderConfigReference:          providerConfig(s.Environment.ProviderConfigRef),
				WriteConnectionSecretToReference: &xpv2.LocalSecretReference{Name: t.name(nameInstance)},
			},
			ForProvider: p,
		},
	}
}

// replication is how a primary tier's primary acknowledges commits: alone,
// or with a quorum of replicas (synchronous_standby_names = 'ANY k (...)').
func replication(t v1beta1.Tier) *enginev1alpha1.ReplicationParameters {
	if t.Replication != v1beta1.ReplicationSync {
		return &enginev1alpha1.ReplicationParameters{Mode: enginev1alpha1.ReplicationAsync}
	}
	quorum := t.SyncQuorum
	if quorum == 0 {
		quorum = 1
	}
	return &enginev1alpha1.ReplicationParameters{Mode: enginev1alpha1.ReplicationSync, SyncQuorum: ptr.To(quorum)}
}
