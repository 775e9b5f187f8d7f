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

// LabelBackupSchedule is the label on every Backup a BackupSchedule made,
// holding the schedule's name.
const LabelBackupSchedule = "ops.dbaas.io/backup-schedule"

// BackupSlot is one more cron schedule of a BackupSchedule, with the type
// of backup it takes: for example a daily incr beside a weekly full.
type BackupSlot struct {
	// Schedule is a cron expression, as spec.schedule.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:XValidation:rule="self.startsWith('@') || self.split(' ').filter(f, f != '').size() in [5, 6]",message="schedule has 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or is a descriptor such as @daily or @every 1h"
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('TZ=') && !self.startsWith('CRON_TZ=')",message="set spec.timeZone instead of a TZ= prefix"
	Schedule string `json:"schedule"`

	// Type is full, diff or incr.
	Type BackupType `json:"type"`
}

// BackupScheduleSpec says which instance is backed up, when, and how many
// of the Backup resources it made are kept.
// +kubebuilder:validation:XValidation:rule="has(self.instance) || has(self.instanceRef) || has(self.instanceSelector)",message="set instance, instanceRef or instanceSelector"
type BackupScheduleSpec struct {
	// Instance is the name of a DatabaseInstance in this namespace whose
	// spec.forProvider.backup names the store the backups go to.
	// +optional
	Instance string `json:"instance,omitempty"`

	// InstanceRef names the instance, in this namespace.
	// +kubebuilder:validation:XValidation:rule="!has(self.__namespace__)",message="a BackupSchedule backs up an instance of its own namespace only: remove instanceRef.namespace"
	// +optional
	InstanceRef *xpv2.NamespacedReference `json:"instanceRef,omitempty"`

	// InstanceSelector picks the instance by labels, in this namespace; the
	// first match by name when several match.
	// +kubebuilder:validation:XValidation:rule="!has(self.__namespace__)",message="a BackupSchedule backs up an instance of its own namespace only: remove instanceSelector.namespace"
	// +optional
	InstanceSelector *xpv2.NamespacedSelector `json:"instanceSelector,omitempty"`

	// Schedule is when backups of spec.type are taken, in cron syntax:
	// five fields (minute hour day-of-month month day-of-week), or six with
	// seconds first as CloudNativePG's ScheduledBackup, or a descriptor
	// (@hourly, @daily, @weekly, @every 6h). For example "0 0 3 * * 0" is
	// Sundays at 03:00 in spec.timeZone.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:XValidation:rule="self.startsWith('@') || self.split(' ').filter(f, f != '').size() in [5, 6]",message="schedule has 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or is a descriptor such as @daily or @every 1h"
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('TZ=') && !self.startsWith('CRON_TZ=')",message="set spec.timeZone instead of a TZ= prefix"
	Schedule string `json:"schedule"`

	// Type is the type of the backups spec.schedule takes: full, diff or
	// incr.
	// +kubebuilder:default=full
	// +optional
	Type BackupType `json:"type,omitempty"`

	// Slots are more schedules, each with its own type: for example
	// spec.schedule a weekly full and one slot a daily incr. When several
	// fall on the same time, one backup of the strongest type is taken
	// (full over diff over incr).
	// +kubebuilder:validation:MaxItems=8
	// +listType=atomic
	// +optional
	Slots []BackupSlot `json:"slots,omitempty"`

	// TimeZone is the IANA time zone the schedules are read in, such as
	// Europe/Berlin.
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_+/-]+$`
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:default=UTC
	// +optional
	TimeZone string `json:"timeZone,omitempty"`

	// Suspend stops taking backups; Backups already taken stay.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// Immediate takes one backup as soon as the schedule is created, of
	// the strongest type among its schedules, before the first scheduled
	// time.
	// +optional
	Immediate bool `json:"immediate,omitempty"`

	// SuccessfulBackupsHistoryLimit is how many Completed (or Expired)
	// Backup resources of this schedule are kept; older ones are deleted.
	// Deleting them never removes a backup from the store: what the store
	// keeps is its retention's (BackupStore spec.forProvider.retention).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	// +kubebuilder:default=3
	// +optional
	SuccessfulBackupsHistoryLimit *int32 `json:"successfulBackupsHistoryLimit,omitempty"`

	// FailedBackupsHistoryLimit is how many Failed Backup resources of this
	// schedule are kept.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	// +kubebuilder:default=1
	// +optional
	FailedBackupsHistoryLimit *int32 `json:"failedBackupsHistoryLimit,omitempty"`
}

// BackupScheduleStatus is what the schedule did and will do.
type BackupScheduleStatus struct {
	xpv2.ConditionedStatus `json:",inline"`

	// LastScheduleTime is the scheduled time of the last run, taken or
	// skipped.
	// +optional
	LastScheduleTime *metav1.Time `json:"lastScheduleTime,omitempty"`

	// NextScheduleTime is when the next backup is due; unset while
	// suspended.
	// +optional
	NextScheduleTime *metav1.Time `json:"nextScheduleTime,omitempty"`

	// LastBackup is the name of the last Backup the schedule made.
	// +optional
	LastBackup string `json:"lastBackup,omitempty"`

	// Active is the name of the schedule's Backup that is pending or
	// running, if one is; a run that falls due meanwhile is skipped.
	// +optional
	Active string `json:"active,omitempty"`
}

// +kubebuilder:object:root=true

// A BackupSchedule takes Backups of a DatabaseInstance on cron schedules,
// one at a time, and keeps a bounded history of the Backup resources it
// made. It has no external resource of its own: what it makes are Backups,
// named <schedule>-<yyyymmddhhmmss> of the scheduled time in UTC, whose
// management policies leave out Delete, so pruning the history never
// expires a backup from the store. Retention is the store's.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="INSTANCE",type="string",JSONPath=".spec.instance"
// +kubebuilder:printcolumn:name="SCHEDULE",type="string",JSONPath=".spec.schedule"
// +kubebuilder:printcolumn:name="SUSPEND",type="boolean",JSONPath=".spec.suspend"
// +kubebuilder:printcolumn:name="LAST-BACKUP",type="string",JSONPath=".status.lastBackup"
// +kubebuilder:printcolumn:name="LAST-SCHEDULE",type="date",JSONPath=".status.lastScheduleTime"
// +kubebuilder:printcolumn:name="NEXT",type="string",JSONPath=".status.nextScheduleTime",priority=1
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={dbaas}
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="a BackupSchedule's name has at most 63 characters: its Backups are named after it with a timestamp"
type BackupSchedule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   BackupScheduleSpec   `json:"spec"`
	Status BackupScheduleStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// BackupScheduleList contains a list of BackupSchedule.
type BackupScheduleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BackupSchedule `json:"items"`
}

// BackupSchedule type metadata.
var (
	BackupScheduleKind             = reflect.TypeOf(BackupSchedule{}).Name()
	BackupScheduleGroupKind        = schema.GroupKind{Group: Group, Kind: BackupScheduleKind}.String()
	BackupScheduleKindAPIVersion   = BackupScheduleKind + "." + SchemeGroupVersion.String()
	BackupScheduleGroupVersionKind = SchemeGroupVersion.WithKind(BackupScheduleKind)
)

func init() {
	SchemeBuilder.Register(&BackupSchedule{}, &BackupScheduleList{})
}
