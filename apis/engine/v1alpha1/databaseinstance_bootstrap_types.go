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
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// TypeRecovery is the condition of an instance restored from a backup
// (spec.forProvider.bootstrap.recovery): Unknown while PostgreSQL replays
// the archived WAL, True once it reached the target and the instance is its
// own, False when it cannot reach the target.
const TypeRecovery xpv2.ConditionType = "Recovery"

// Reasons of the Recovery condition.
const (
	// ReasonReplaying: the restored server replays WAL towards the target.
	ReasonReplaying xpv2.ConditionReason = "Replaying"
	// ReasonRecovered: the target was reached and the server promoted.
	ReasonRecovered xpv2.ConditionReason = "Recovered"
	// ReasonRecoveryTargetUnreachable: PostgreSQL ended recovery before
	// the target, or refused it; the message is PostgreSQL's own. The
	// instance is left as it is, and nothing is published: delete it and
	// restore again with another target.
	ReasonRecoveryTargetUnreachable xpv2.ConditionReason = "RecoveryTargetUnreachable"
	// ReasonRecoveryFailed: the restored server stopped for another reason,
	// which the message quotes from its log.
	ReasonRecoveryFailed xpv2.ConditionReason = "RecoveryFailed"
)

// BootstrapParameters are how a new instance gets its first data. They
// only ever apply when the instance is created: they are immutable, and a
// running instance is never overwritten.
type BootstrapParameters struct {
	// Recovery restores the instance from a backup of an instance of this
	// namespace instead of initializing an empty one, replayed to a target.
	Recovery RecoveryParameters `json:"recovery"`
}

// RecoveryParameters say which backups a new instance is restored from,
// and how far the archived WAL is replayed. The backups are read from the
// stanza <namespace>.<instance> of an instance of this namespace, in a
// BackupStore of this namespace or a ClusterBackupStore: a namespace never
// restores another one's data.
// +kubebuilder:validation:XValidation:rule="has(self.backupRef) != has(self.source)",message="recovery needs exactly one of backupRef and source"
// +kubebuilder:validation:XValidation:rule="!has(self.exclusive) || !self.exclusive || has(self.target.time) || has(self.target.lsn) || has(self.target.xid)",message="exclusive applies to a time, lsn or xid target only"
type RecoveryParameters struct {
	// BackupRef names a Completed Backup (ops.dbaas.io) of this namespace:
	// that backup is restored, and the WAL archived after it replayed to
	// the target. Its instance must still exist, since its
	// spec.forProvider.backup names the store; for an instance that is
	// gone, use source.
	// +optional
	BackupRef *BackupReference `json:"backupRef,omitempty"`

	// Source names the instance whose backups are restored, which may be
	// gone, and the store they are in: pgBackRest picks the newest backup
	// that ended before a time target, or the newest one.
	// +optional
	Source *RecoverySource `json:"source,omitempty"`

	// Target is how far the archived WAL is replayed.
	Target RecoveryTarget `json:"target"`

	// Exclusive stops just before the target (a time, lsn or xid) rather
	// than just after it.
	// +optional
	Exclusive *bool `json:"exclusive,omitempty"`
}

// BackupReference names a Backup of this namespace.
type BackupReference struct {
	// Name of the Backup.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// RecoverySource is an instance of this namespace, by name, and the
// store its backups went to.
type RecoverySource struct {
	// Instance is the name of the DatabaseInstance the backups were taken
	// of; it may have been deleted since.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=63
	Instance string `json:"instance"`

	// Store is the name of the BackupStore (ops.dbaas.io) of this
	// namespace that holds them.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	// +kubebuilder:validation:MaxLength=253
	Store string `json:"store"`

	// StoreKind is the kind store names: a BackupStore of this namespace
	// (the default) or a ClusterBackupStore. Either way only the stanza
	// of an instance of this namespace is read.
	// +kubebuilder:default=BackupStore
	// +optional
	StoreKind StoreKind `json:"storeKind,omitempty"`
}

// RecoveryTarget is where a restore stops replaying WAL and the restored
// server promotes: exactly one of its fields.
// +kubebuilder:validation:XValidation:rule="(has(self.time) ? 1 : 0) + (has(self.lsn) ? 1 : 0) + (has(self.xid) ? 1 : 0) + (has(self.name) ? 1 : 0) + (has(self.immediate) && self.immediate ? 1 : 0) == 1",message="target needs exactly one of time, lsn, xid, name and immediate"
type RecoveryTarget struct {
	// Time replays the transactions committed up to this time, in RFC 3339
	// with up to nanoseconds, such as 2026-12-07T02:31:59.135581Z (a
	// string: metav1.Time would drop the fraction of a second). It must
	// lie in the source's recovery window: after the end of the oldest
	// backup in the store (or the one backupRef names) and no later than
	// its last archived WAL.
	// +kubebuilder:validation:Format=date-time
	// +kubebuilder:validation:MaxLength=64
	// +optional
	Time string `json:"time,omitempty"`

	// LSN replays up to this WAL position, such as 0/3000028.
	// +kubebuilder:validation:Pattern=`^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$`
	// +optional
	LSN string `json:"lsn,omitempty"`

	// XID replays up to this transaction.
	// +kubebuilder:validation:Pattern=`^[0-9]{1,20}$`
	// +optional
	XID string `json:"xid,omitempty"`

	// Name replays up to this restore point (pg_create_restore_point).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[^\r\n]+$`
	// +optional
	Name string `json:"name,omitempty"`

	// Immediate stops as soon as the backup is consistent: the data as the
	// backup ended, without the WAL archived after it.
	// +optional
	Immediate *bool `json:"immediate,omitempty"`
}
