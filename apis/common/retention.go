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

package common

// BackupRetention is how many backups pgBackRest keeps in a store; older
// ones, and the WAL only they need, are expired after each backup. A
// BackupStore's applies to every instance backed up into it, and an
// instance's own (spec.forProvider.backup.retention) replaces it for that
// instance's stanza. It lives here because the store (ops.dbaas.io) and
// the instance (engine.dbaas.io) both use it, and ops already refers to
// engine.
// +kubebuilder:object:generate=true
// +kubebuilder:validation:XValidation:rule="!(has(self.fullCount) && has(self.fullDays))",message="set fullCount or fullDays, not both"
type BackupRetention struct {
	// FullCount is the number of full backups kept
	// (repo-retention-full-type count).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=9999999
	// +optional
	FullCount *int32 `json:"fullCount,omitempty"`

	// FullDays is the number of days full backups are kept
	// (repo-retention-full-type time).
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=9999999
	// +optional
	FullDays *int32 `json:"fullDays,omitempty"`

	// DiffCount is the number of differential backups kept.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=9999999
	// +optional
	DiffCount *int32 `json:"diffCount,omitempty"`
}
