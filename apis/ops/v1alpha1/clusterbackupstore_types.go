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

// ClusterS3Store is a bucket of an S3-compatible object store whose
// Secrets are in a namespace of the platform's, which tenants cannot read.
// +kubebuilder:validation:XValidation:rule="size(self.credentialsSecretRef.__namespace__) > 0 && (!has(self.caSecretRef) || size(self.caSecretRef.__namespace__) > 0)",message="a ClusterBackupStore's Secret references must name their namespace"
type ClusterS3Store struct {
	S3Location `json:",inline"`

	// CASecretRef names the PEM CA certificate, in a Secret of the
	// namespace it names, that the endpoint's certificate is verified
	// against; the machines' trusted CAs when unset. Verification is
	// never turned off.
	// +optional
	CASecretRef *xpv2.SecretKeySelector `json:"caSecretRef,omitempty"`

	// CredentialsSecretRef names a Secret, and its namespace, holding the
	// keys accessKeyId and secretAccessKey.
	CredentialsSecretRef xpv2.SecretReference `json:"credentialsSecretRef"`
}

// ClusterStoreEncryption encrypts everything pgBackRest writes to a
// ClusterBackupStore (repo-cipher-type aes-256-cbc).
// +kubebuilder:validation:XValidation:rule="size(self.passphraseSecretRef.__namespace__) > 0",message="a ClusterBackupStore's Secret references must name their namespace"
type ClusterStoreEncryption struct {
	// PassphraseSecretRef names the passphrase in a Secret of the
	// namespace it names. Changing it makes existing backups unreadable:
	// pgBackRest cannot re-encrypt a repository.
	PassphraseSecretRef xpv2.SecretKeySelector `json:"passphraseSecretRef"`
}

// ClusterBackupStoreParameters say where backups go: exactly one of s3 or
// posix, as a BackupStore's, with Secrets in a namespace they name.
// +kubebuilder:validation:XValidation:rule="has(self.s3) != has(self.posix)",message="set exactly one of s3 or posix"
// +kubebuilder:validation:XValidation:rule="has(self.s3) == has(oldSelf.s3) && has(self.posix) == has(oldSelf.posix)",message="the store's kind (s3 or posix) is immutable: make a new ClusterBackupStore"
// +kubebuilder:validation:XValidation:rule="has(self.encryption) == has(oldSelf.encryption) && (!has(self.encryption) || self.encryption == oldSelf.encryption)",message="encryption cannot be added, removed or changed: make a new ClusterBackupStore with the encryption you want and point instances at it"
type ClusterBackupStoreParameters struct {
	// S3 is an S3-compatible bucket.
	// +optional
	S3 *ClusterS3Store `json:"s3,omitempty"`

	// Posix is a directory on the instances' machines, below the
	// provider's backup root and _cluster (a name no namespace can have),
	// so it never meets a BackupStore's directory.
	// +optional
	Posix *PosixStore `json:"posix,omitempty"`

	// The rule that keeps encryption as it was is on the parameters, not
	// here: a transition rule on an optional field runs only when the old
	// and the new object both have it, so adding or removing it would pass.

	// Encryption encrypts the repository. It cannot be added, removed or
	// changed once the store exists: pgBackRest cannot encrypt or decrypt a
	// repository in place, so a change would make its backups unreadable.
	// +optional
	Encryption *ClusterStoreEncryption `json:"encryption,omitempty"`

	StoreOptions `json:",inline"`
}

// A ClusterBackupStoreSpec defines the desired state of a
// ClusterBackupStore.
type ClusterBackupStoreSpec struct {
	xpv2.ClusterManagedResourceSpec `json:",inline"`
	ForProvider                     ClusterBackupStoreParameters `json:"forProvider"`
}

// A ClusterBackupStoreStatus represents the observed state of a
// ClusterBackupStore.
type ClusterBackupStoreStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 BackupStoreObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A ClusterBackupStore is a pgBackRest repository the platform owns, which
// DatabaseInstances of every namespace may archive WAL and take backups
// into (spec.forProvider.backup with storeKind ClusterBackupStore). Its
// S3 keys and passphrase are in Secrets of a namespace of the platform's,
// which tenants never read; each instance's backups are the stanza
// <namespace>.<instance>, so a namespace reaches its own instances'
// backups only. It is Ready when the provider can reach it. Deleting it
// removes nothing from the store.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="BUCKET",type="string",JSONPath=".spec.forProvider.s3.bucket"
// +kubebuilder:printcolumn:name="DIRECTORY",type="string",JSONPath=".spec.forProvider.posix.directory"
// +kubebuilder:printcolumn:name="USED",type="integer",JSONPath=".status.atProvider.bytesUsed",priority=1
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={crossplane,managed,dbaas,dbaas-managed}
type ClusterBackupStore struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ClusterBackupStoreSpec   `json:"spec"`
	Status ClusterBackupStoreStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterBackupStoreList contains a list of ClusterBackupStore.
type ClusterBackupStoreList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterBackupStore `json:"items"`
}

// ClusterBackupStore type metadata.
var (
	ClusterBackupStoreKind             = reflect.TypeOf(ClusterBackupStore{}).Name()
	ClusterBackupStoreGroupKind        = schema.GroupKind{Group: Group, Kind: ClusterBackupStoreKind}.String()
	ClusterBackupStoreKindAPIVersion   = ClusterBackupStoreKind + "." + SchemeGroupVersion.String()
	ClusterBackupStoreGroupVersionKind = SchemeGroupVersion.WithKind(ClusterBackupStoreKind)
)

func init() {
	SchemeBuilder.Register(&ClusterBackupStore{}, &ClusterBackupStoreList{})
}

// StoreObservation is the status.atProvider of the store, which the one
// controller of both kinds of store fills in.
func (s *ClusterBackupStore) StoreObservation() *BackupStoreObservation {
	return &s.Status.AtProvider
}
