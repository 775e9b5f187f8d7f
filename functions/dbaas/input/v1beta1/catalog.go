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

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
)

// Topology is how a tier's database is laid out.
// +kubebuilder:validation:Enum=single;primary;shared
type Topology string

const (
	// TopologySingle is one member that takes reads and writes.
	TopologySingle Topology = "single"

	// TopologyPrimary is a primary that takes writes and replicas that
	// stream from it, each member on its own machine.
	TopologyPrimary Topology = "primary"

	// TopologyShared is a database and an owner role on an existing server
	// named by the environment: no machine and no instance of its own.
	TopologyShared Topology = "shared"
)

// ReplicationMode is how a tier's primary acknowledges commits.
// +kubebuilder:validation:Enum=async;sync
type ReplicationMode string

const (
	// ReplicationAsync acknowledges a commit once the primary wrote it.
	ReplicationAsync ReplicationMode = "async"

	// ReplicationSync acknowledges a commit once SyncQuorum replicas
	// flushed it too (synchronous_standby_names = 'ANY k (...)').
	ReplicationSync ReplicationMode = "sync"
)

// An Engine is a database engine the platform offers.
type Engine struct {
	// Name of the engine as claims spell it, for example postgresql.
	Name string `json:"name"`

	// Description says what the entry is for, in a sentence a team reads
	// when choosing: kubectl dbaas catalog shows it. The function does not
	// read it.
	// +kubebuilder:validation:MaxLength=512
	// +optional
	Description string `json:"description,omitempty"`

	// Versions of the engine that claims may ask for.
	// +kubebuilder:validation:MinItems=1
	Versions []string `json:"versions"`

	// DefaultVersion is used when a claim names no version. It must be one
	// of Versions.
	DefaultVersion string `json:"defaultVersion"`

	// DefaultFlavor is used when a Database names no flavor. It must be a
	// flavor of this engine. Empty means the Database must name one, unless
	// the catalog offers no flavor of this engine: then the engine is plain,
	// without extensions.
	// +optional
	DefaultFlavor string `json:"defaultFlavor,omitempty"`
}

// A BackupPolicy is how a tier's databases are backed up. In an environment
// that names a backupStore, the function composes it as the instance's
// spec.forProvider.backup (WAL archived into that ClusterBackupStore, with
// the retention below) and a BackupSchedule of full backups; in an
// environment that names none, it composes no backup and warns.
type BackupPolicy struct {
	// Schedule of full backups, in cron syntax read in UTC: five fields,
	// six with seconds first, or a descriptor such as @daily. For example
	// "0 1 * * *". Maps to the BackupSchedule's spec.schedule.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Schedule string `json:"schedule"`

	// RetentionDays is how long full backups are kept: maps to the
	// instance's spec.forProvider.backup.retention.fullDays (pgBackRest's
	// repo-retention-full-type time), so the oldest full backup kept is at
	// least this many days old. The WAL a kept backup needs is kept with
	// it.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=9999999
	RetentionDays int32 `json:"retentionDays"`

	// PITRWindowDays is how far back a database can be restored to any
	// second; zero promises restores to the end of a backup only. It must
	// not be more than RetentionDays: a restore to a time starts from a
	// backup taken before it. WAL is archived either way (a backup needs
	// it) and kept as long as the backups are, since the instance's
	// retention has no separate setting for WAL: in practice a database
	// can be restored to any second of its RetentionDays.
	// +kubebuilder:validation:Minimum=0
	// +optional
	PITRWindowDays int32 `json:"pitrWindowDays,omitempty"`
}

// A Tier is a shape of deployment: how many members, how they replicate,
// and how they are kept safe.
type Tier struct {
	// Name of the tier as claims spell it, for example dev.
	Name string `json:"name"`

	// Description says what the entry is for, in a sentence a team reads
	// when choosing: kubectl dbaas catalog shows it. The function does not
	// read it.
	// +kubebuilder:validation:MaxLength=512
	// +optional
	Description string `json:"description,omitempty"`

	// Topology of the tier's databases.
	Topology Topology `json:"topology"`

	// Members is how many engine processes, each on its own machine: 1 for
	// single, at least 2 for primary. Not set for shared.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=6
	// +optional
	Members int32 `json:"members,omitempty"`

	// Replication is how a primary tier's primary acknowledges commits.
	// Async when unset.
	// +optional
	Replication ReplicationMode `json:"replication,omitempty"`

	// SyncQuorum is how many replicas must confirm a commit with
	// replication sync. Defaults to 1.
	// +kubebuilder:validation:Minimum=1
	// +optional
	SyncQuorum int32 `json:"syncQuorum,omitempty"`

	// Failover has the provider promote a replica when the primary stops
	// answering. Only with topology primary.
	// +optional
	Failover bool `json:"failover,omitempty"`

	// Backup is the tier's backup policy; none when unset.
	// +optional
	Backup *BackupPolicy `json:"backup,omitempty"`
}

// A SKU is a size: the machine's resources, from which the engine settings
// that go with them are derived, and optional overrides of two of those.
type SKU struct {
	// Name of the SKU as claims spell it, for example small.
	Name string `json:"name"`

	// Description says what the entry is for, in a sentence a team reads
	// when choosing: kubectl dbaas catalog shows it. The function does not
	// read it.
	// +kubebuilder:validation:MaxLength=512
	// +optional
	Description string `json:"description,omitempty"`

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

// A Flavor is an engine with a bundle of extensions: the members install
// their packages and the team's database gets them created.
type Flavor struct {
	// Name of the flavor as Databases spell it, for example postgis.
	Name string `json:"name"`

	// Description says what the entry is for, in a sentence a team reads
	// when choosing: kubectl dbaas catalog shows it. The function does not
	// read it.
	// +kubebuilder:validation:MaxLength=512
	// +optional
	Description string `json:"description,omitempty"`

	// Engine the flavor is of.
	Engine string `json:"engine"`

	// Extensions created in the team's database, from the engine's
	// allow-list (package internal/engine/pgextensions).
	// +optional
	Extensions []string `json:"extensions,omitempty"`
}

// A ProviderConfigReference names the provider config managed resources of an
// environment use.
type ProviderConfigReference struct {
	// Kind of the provider config: ProviderConfig or ClusterProviderConfig.
	Kind string `json:"kind"`

	// Name of the provider config.
	Name string `json:"name"`
}

// A Firewall is who may reach an environment's engines: composed as one
// FirewallRule per database on the engine's port.
type Firewall struct {
	// SourceCIDRs that may connect.
	// +optional
	SourceCIDRs []string `json:"sourceCIDRs,omitempty"`

	// SourceTags of machines that may connect, where the backend has tags.
	// +optional
	SourceTags []string `json:"sourceTags,omitempty"`

	// Azure is where the rules go on Azure.
	// +optional
	Azure *computev1alpha1.AzureFirewallRuleParameters `json:"azure,omitempty"`

	// VSphere is where the rules go on vSphere.
	// +optional
	VSphere *computev1alpha1.VSphereFirewallRuleParameters `json:"vsphere,omitempty"`
}

// A SharedServer is the existing server of an environment on which the
// shared tier makes databases.
type SharedServer struct {
	// ProviderConfigRef names the config whose server holds the shared
	// tier's databases (a config with spec.server).
	ProviderConfigRef ProviderConfigReference `json:"providerConfigRef"`

	// DatabaseClass, when set, makes the databases through the DBAs'
	// stored procedures of this DatabaseClass instead of natively.
	// +optional
	DatabaseClass string `json:"databaseClass,omitempty"`
}

// A Price is what one unit costs a month, as a decimal string such as
// "12.50", in the environment's currency.
type Price string

// Pricing is what an environment charges, so that a Database's status can
// show its estimated monthly cost.
type Pricing struct {
	// Currency of every price, for example EUR.
	Currency string `json:"currency"`

	// SKUs is the monthly price of one member of each SKU, by SKU name.
	// +optional
	SKUs map[string]Price `json:"skus,omitempty"`

	// StorageGB is the monthly price of one GB of storage of one member.
	// +optional
	StorageGB Price `json:"storageGB,omitempty"`
}

// An Environment is where databases run: a backend reached through a provider
// config, the machines' image, network and placement there, who may reach
// the engines, and which tiers are allowed.
type Environment struct {
	// Name of the environment as claims spell it, for example local.
	Name string `json:"name"`

	// Description says what the entry is for, in a sentence a team reads
	// when choosing: kubectl dbaas catalog shows it. The function does not
	// read it.
	// +kubebuilder:validation:MaxLength=512
	// +optional
	Description string `json:"description,omitempty"`

	// ProviderConfigRef is the provider config of every composed resource.
	ProviderConfigRef ProviderConfigReference `json:"providerConfigRef"`

	// Image machines boot from. Empty means the backend's default.
	// +optional
	Image string `json:"image,omitempty"`

	// Network machines attach to. Empty means the backend's default.
	// +optional
	Network string `json:"network,omitempty"`

	// Zones members are spread across, one member per zone in turn, where
	// the backend places machines in zones (GCP zones, Azure availability
	// zones).
	// +optional
	Zones []string `json:"zones,omitempty"`

	// Machine holds the backend's own machine settings (exactly one of
	// local, vsphere, azure, gcp, terraform), copied into every machine;
	// the zone is set per member from Zones.
	// +optional
	Machine *computev1alpha1.VirtualMachineParameters `json:"machine,omitempty"`

	// DataDevice is the block device of the machines' data disk on this
	// backend, for example /dev/sdb on vSphere. Empty keeps the data on the
	// boot disk.
	// +optional
	DataDevice string `json:"dataDevice,omitempty"`

	// Firewall is who may reach the engines. None is composed when unset.
	// +optional
	Firewall *Firewall `json:"firewall,omitempty"`

	// AllowedTiers are the tiers Databases may ask for here; every tier
	// when empty.
	// +optional
	AllowedTiers []string `json:"allowedTiers,omitempty"`

	// SharedServer is where the shared tier makes databases here; the
	// shared tier is not offered where it is unset.
	// +optional
	SharedServer *SharedServer `json:"sharedServer,omitempty"`

	// Pricing of this environment; no cost is shown when unset.
	// +optional
	Pricing *Pricing `json:"pricing,omitempty"`

	// BackupStore is the name of the ClusterBackupStore (ops.dbaas.io) the
	// databases of tiers with a backup policy archive WAL and take backups
	// into here, each in its own stanza <namespace>.<instance>. The
	// platform owns it and its Secrets; a Database cannot choose it. Tiers
	// with a backup policy get no backups here when unset.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=253
	// +optional
	BackupStore string `json:"backupStore,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=crossplane

// A Catalog is everything a Database may choose from. Databases name
// entries; the function rejects names the catalog does not hold.
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

	// Flavors on offer.
	// +listType=map
	// +listMapKey=name
	// +optional
	Flavors []Flavor `json:"flavors,omitempty"`

	// Environments on offer.
	// +listType=map
	// +listMapKey=name
	// +optional
	Environments []Environment `json:"environments,omitempty"`
}
