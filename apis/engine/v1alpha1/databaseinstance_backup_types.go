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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/common"
)

// TypeWALArchiving is the condition that says whether the instance's WAL
// reaches its BackupStore. It turns False, with pgBackRest's own message,
// as soon as archiving fails, so a broken archive is seen before it is
// needed.
const TypeWALArchiving xpv2.ConditionType = "WALArchiving"

// StoreKind is the kind of store a name refers to.
// +kubebuilder:validation:Enum=BackupStore;ClusterBackupStore
type StoreKind string

// Kinds of store (ops.dbaas.io).
const (
	// StoreKindBackupStore is a BackupStore of the instance's namespace.
	StoreKindBackupStore StoreKind = "BackupStore"
	// StoreKindClusterBackupStore is a ClusterBackupStore the platform
	// owns.
	StoreKindClusterBackupStore StoreKind = "ClusterBackupStore"
)

// InstanceBackupParameters turn on continuous archiving of the instance's
// WAL into a BackupStore or a ClusterBackupStore, which Backups of the
// instance also go to. The instance's backups are one pgBackRest stanza in
// the store, named <namespace>.<instance>, also in a store every
// namespace shares.
type InstanceBackupParameters struct {
	// Store is the name of a BackupStore (ops.dbaas.io) in this namespace,
	// or of a ClusterBackupStore when storeKind says so.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=253
	Store string `json:"store"`

	// StoreKind is the kind store names: a BackupStore of this namespace
	// (the default) or a ClusterBackupStore the platform owns, whose
	// Secrets the namespace cannot read.
	// +kubebuilder:default=BackupStore
	// +optional
	StoreKind StoreKind `json:"storeKind,omitempty"`

	// Retention is how many of this instance's backups the store keeps,
	// in place of the store's own retention: in a store that many
	// instances share, each keeps what it needs. pgBackRest applies it to
	// this instance's stanza only, after each of its backups.
	// +optional
	Retention *common.BackupRetention `json:"retention,omitempty"`

	// WALArchiving archives every WAL segment into the store
	// (archive_command), which point-in-time recovery needs. Without it
	// only whole backups can be restored, each to its end.
	// +kubebuilder:default=true
	// +optional
	WALArchiving *bool `json:"walArchiving,omitempty"`

	// ArchiveTimeout switches to a new WAL segment, and so archives it, at
	// least this often when writes are rare (archive_timeout): it bounds
	// how many seconds of writes a lost machine can take with it.
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1s') && duration(self) <= duration('1h')",message="archiveTimeout must be between 1s and 1h"
	// +kubebuilder:default="60s"
	// +optional
	ArchiveTimeout *metav1.Duration `json:"archiveTimeout,omitempty"`
}

// RecoveryWindow is the span of time the instance can be restored to.
type RecoveryWindow struct {
	// FirstRecoverabilityPoint is the earliest time a restore can reach:
	// the end of the oldest backup still in the store.
	// +optional
	FirstRecoverabilityPoint *metav1.Time `json:"firstRecoverabilityPoint,omitempty"`

	// LastSuccessfulBackupTime is when the newest backup in the store
	// ended.
	// +optional
	LastSuccessfulBackupTime *metav1.Time `json:"lastSuccessfulBackupTime,omitempty"`

	// LastArchivedWAL is the newest WAL segment the server archived.
	// +optional
	LastArchivedWAL string `json:"lastArchivedWAL,omitempty"`

	// LastArchivedTime is when it was archived.
	// +optional
	LastArchivedTime *metav1.Time `json:"lastArchivedTime,omitempty"`
}
