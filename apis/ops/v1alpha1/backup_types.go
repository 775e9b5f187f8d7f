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

package v1alpha1

import (
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// BackupType is pgBackRest's backup type.
// +kubebuilder:validation:Enum=full;diff;incr
type BackupType string

// Backup types: a full copy; the changes since the last full backup; the
// changes since the last backup of any type.
const (
	BackupFull BackupType = "full"
	BackupDiff BackupType = "diff"
	BackupIncr BackupType = "incr"
)

// BackupMethod says which member a backup is read from.
// +kubebuilder:validation:Enum=primary;prefer-standby
type BackupMethod string

// Backup methods: from the primary, or from a streaming replica when the
// instance has one (pgBackRest's backup-standby), sparing the primary's
// disks.
const (
	BackupFromPrimary       BackupMethod = "primary"
	BackupFromPreferStandby BackupMethod = "prefer-standby"
)

// BackupPhase is where a backup is in its life.
type BackupPhase string

// Backup phases. Expired is a backup that completed and that the store no
// longer lists: its retention (or an expire from outside the provider)
// removed it.
const (
	BackupPending   BackupPhase = "Pending"
	BackupRunning   BackupPhase = "Running"
	BackupCompleted BackupPhase = "Completed"
	BackupFailed    BackupPhase = "Failed"
	BackupExpired   BackupPhase = "Expired"
)

// BackupParameters say which instance to back up, and how.
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="a Backup's parameters are immutable: make a new Backup"
type BackupParameters struct {
	// Instance is the name of a DatabaseInstance in this namespace whose
	// spec.forProvider.backup names the store the backup goes to.
	// +crossplane:generate:reference:type=github.com/dbaas-io/dbaas/apis/engine/v1alpha1.DatabaseInstance
	// +crossplane:generate:reference:extractor=github.com/dbaas-io/dbaas/apis/common.ObjectName()
	// +crossplane:generate:reference:refFieldName=InstanceRef
	// +crossplane:generate:reference:selectorFieldName=InstanceSelector
	// +optional
	Instance string `json:"instance,omitempty"`

	// InstanceRef resolves Instance by name.
	// +optional
	InstanceRef *xpv2.NamespacedReference `json:"instanceRef,omitempty"`

	// InstanceSelector resolves Instance by labels.
	// +optional
	InstanceSelector *xpv2.NamespacedSelector `json:"instanceSelector,omitempty"`

	// Type is full, diff or incr. A diff or incr backup with no full one
	// before it in the store becomes full, as pgBackRest does.
	// +kubebuilder:default=full
	// +optional
	Type BackupType `json:"type,omitempty"`

	// Method is primary or prefer-standby. With prefer-standby the
	// backup's files are read from a replica that streams from the
	// primary, the one least behind (pgBackRest's backup-standby): the
	// primary only starts and stops the backup. With no replica
	// streaming, it is taken from the primary, with an event saying so.
	// status.atProvider.member says where it was read. prefer-standby
	// needs the primary's files and socket reachable from the replica's
	// machine, which holds on the local backend only; over SSH it is
	// refused.
	// +kubebuilder:default=primary
	// +optional
	Method BackupMethod `json:"method,omitempty"`
}

// BackupObservation is what pgBackRest reports of the backup.
type BackupObservation struct {
	// Phase is Pending, Running, Completed, Failed, or Expired once the
	// store's retention removed the completed backup.
	// +optional
	Phase BackupPhase `json:"phase,omitempty"`

	// Label is pgBackRest's label of the backup, such as
	// 20261206-101500F; also the resource's external name.
	// +optional
	Label string `json:"label,omitempty"`

	// Type is the type pgBackRest took (a diff with no full before it
	// becomes full).
	// +optional
	Type BackupType `json:"type,omitempty"`

	// Member is the VirtualMachine whose server the backup was read from:
	// the primary's, or with method prefer-standby a replica's.
	// +optional
	Member string `json:"member,omitempty"`

	// StartTime and StopTime bound the backup.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// +optional
	StopTime *metav1.Time `json:"stopTime,omitempty"`

	// StartLSN and StopLSN bound the WAL the backup needs to be consistent.
	// +optional
	StartLSN string `json:"startLSN,omitempty"`
	// +optional
	StopLSN string `json:"stopLSN,omitempty"`

	// SizeBytes is the size of the database the backup holds; RepoSizeBytes
	// what it takes in the store (compressed, and only the changes for diff
	// and incr).
	// +optional
	SizeBytes *int64 `json:"sizeBytes,omitempty"`
	// +optional
	RepoSizeBytes *int64 `json:"repoSizeBytes,omitempty"`

	// Duration is how long the backup took.
	// +optional
	Duration *metav1.Duration `json:"duration,omitempty"`

	// Message is why a backup failed, in pgBackRest's words.
	// +optional
	Message string `json:"message,omitempty"`
}

// A BackupSpec defines the desired state of a Backup.
type BackupSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              BackupParameters `json:"forProvider"`
}

// A BackupStatus represents the observed state of a Backup.
type BackupStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 BackupObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A Backup is one pgBackRest backup of a DatabaseInstance. It is taken
// without holding a reconcile: started, then observed until pgBackRest
// lists it. Deleting the resource expires the backup from the store only
// when its management policies include Delete.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="INSTANCE",type="string",JSONPath=".spec.forProvider.instance"
// +kubebuilder:printcolumn:name="TYPE",type="string",JSONPath=".status.atProvider.type"
// +kubebuilder:printcolumn:name="PHASE",type="string",JSONPath=".status.atProvider.phase"
// +kubebuilder:printcolumn:name="LABEL",type="string",JSONPath=".status.atProvider.label"
// +kubebuilder:printcolumn:name="STOP",type="date",JSONPath=".status.atProvider.stopTime",priority=1
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,dbaas,dbaas-managed}
type Backup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   BackupSpec   `json:"spec"`
	Status BackupStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// BackupList contains a list of Backup.
type BackupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Backup `json:"items"`
}

// Backup type metadata.
var (
	BackupKind             = reflect.TypeOf(Backup{}).Name()
	BackupGroupKind        = schema.GroupKind{Group: Group, Kind: BackupKind}.String()
	BackupKindAPIVersion   = BackupKind + "." + SchemeGroupVersion.String()
	BackupGroupVersionKind = SchemeGroupVersion.WithKind(BackupKind)
)

func init() {
	SchemeBuilder.Register(&Backup{}, &BackupList{})
}
