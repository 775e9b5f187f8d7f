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

package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Topology is how an instance's members are arranged.
// +kubebuilder:validation:Enum=single
type Topology string

// TopologySingle is one member that takes reads and writes.
const TopologySingle Topology = "single"

// An Engine is a database engine the platform offers.
type Engine struct {
	// Name of the engine as claims spell it, for example postgresql.
	Name string `json:"name"`

	// Versions of the engine that claims may ask for.
	// +kubebuilder:validation:MinItems=1
	Versions []string `json:"versions"`

	// DefaultVersion is used when a claim names no version. It must be one
	// of Versions.
	DefaultVersion string `json:"defaultVersion"`
}

// A Tier is a shape of deployment: how many members and how they relate.
type Tier struct {
	// Name of the tier as claims spell it, for example dev.
	Name string `json:"name"`

	// Topology of the tier's instances.
	Topology Topology `json:"topology"`

	// Members is how many engine processes, each on its own machine.
	// +kubebuilder:validation:Minimum=1
	Members int32 `json:"members"`
}

// A SKU is a size: the machine's resources, from which the engine settings
// that go with them are derived, and optional overrides of two of those.
type SKU struct {
	// Name of the SKU as claims spell it, for example small.
	Name string `json:"name"`

	// CPU is the number of virtual CPUs of each machine.
	// +kubebuilder:validation:Minimum=1
	CPU int32 `json:"cpu"`

	// MemoryMiB is each machine's memory in MiB.
	// +kubebuilder:validation:Minimum=256
	MemoryMiB int32 `json:"memoryMiB"`

	// MaxConnections maps to the engine's max_connections. Unset, it is
	// pgtune's 200 for web applications.
	// +kubebuilder:validation:Minimum=5
	// +kubebuilder:validation:Maximum=10000
	// +optional
	MaxConnections *int32 `json:"maxConnections,omitempty"`

	// SharedBuffersMB maps to the engine's shared_buffers, in MB. Unset, it
	// is a quarter of MemoryMiB. The other memory, WAL and planner settings
	// are always derived from CPU, MemoryMiB, this and the claim's storage
	// (package internal/engine/pgtune).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1048576
	// +optional
	SharedBuffersMB *int32 `json:"sharedBuffersMB,omitempty"`
}

// A ProviderConfigReference names the provider config managed resources of an
// environment use.
type ProviderConfigReference struct {
	// Kind of the provider config: ProviderConfig or ClusterProviderConfig.
	Kind string `json:"kind"`

	// Name of the provider config.
	Name string `json:"name"`
}

// An Environment is where databases run: a backend reached through a provider
// config, and the image and network machines use there.
type Environment struct {
	// Name of the environment as claims spell it, for example local.
	Name string `json:"name"`

	// ProviderConfigRef is the provider config of every composed resource.
	ProviderConfigRef ProviderConfigReference `json:"providerConfigRef"`

	// Image machines boot from. Empty means the backend's default.
	// +optional
	Image string `json:"image,omitempty"`

	// Network machines attach to. Empty means the backend's default.
	// +optional
	Network string `json:"network,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=crossplane

// A Catalog is the input of function-dbaas: everything a Database claim may
// choose from. Claims name entries; the function rejects names the catalog
// does not hold.
type Catalog struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Engines on offer.
	// +listType=map
	// +listMapKey=name
	// +optional
	Engines []Engine `json:"engines,omitempty"`

	// Tiers on offer.
	// +listType=map
	// +listMapKey=name
	// +optional
	Tiers []Tier `json:"tiers,omitempty"`

	// SKUs on offer.
	// +listType=map
	// +listMapKey=name
	// +optional
	SKUs []SKU `json:"skus,omitempty"`

	// Environments on offer.
	// +listType=map
	// +listMapKey=name
	// +optional
	Environments []Environment `json:"environments,omitempty"`
}
