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

	"github.com/dbaas-io/dbaas/apis/common"
)

// URIStyle is how an S3 repository's objects are addressed.
// +kubebuilder:validation:Enum=path;host
type URIStyle string

// URI styles: path style (https://host/bucket/key) works with any
// endpoint; host style (https://bucket.host/key) needs a DNS name per bucket.
const (
	URIStylePath URIStyle = "path"
	URIStyleHost URIStyle = "host"
)

// Compression is how pgBackRest compresses what it writes to a store.
// +kubebuilder:validation:Enum=lz4;zst;gz;none
type Compression string

// Compression types (pgBackRest's compress-type).
const (
	CompressionLZ4  Compression = "lz4"
	CompressionZst  Compression = "zst"
	CompressionGz   Compression = "gz"
	CompressionNone Compression = "none"
)

// S3Location is where an S3-compatible bucket is and how it is
// addressed: what a BackupStore's and a ClusterBackupStore's S3 stores
// share. They differ only in where their Secrets are.
type S3Location struct {
	// Endpoint is the host name or IP address of the S3 service, without
	// scheme, port or path. The store is always reached over HTTPS.
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$`
	// +kubebuilder:validation:MaxLength=253
	Endpoint string `json:"endpoint"`

	// Port is the endpoint's HTTPS port.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:default=443
	// +optional
	Port int32 `json:"port,omitempty"`

	// Bucket holds the repository. It must exist: the provider does not
	// create or delete buckets.
	// +kubebuilder:validation:Pattern=`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`
	Bucket string `json:"bucket"`

	// Region of the bucket. S3 services without regions accept any value.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:default=us-east-1
	// +optional
	Region string `json:"region,omitempty"`

	// Prefix is the repository's directory within the bucket, such as
	// /team-a/backups; the bucket's root when unset. Every instance's
	// backups go into its own stanza below it.
	// +kubebuilder:validation:Pattern=`^(/[A-Za-z0-9._-]+)+$`
	// +kubebuilder:validation:XValidation:rule="!self.split('/').exists(p, p == '.' || p == '..')",message="prefix must not hold . or .. parts"
	// +kubebuilder:validation:MaxLength=512
	// +optional
	Prefix string `json:"prefix,omitempty"`

	// URIStyle is path (works with any endpoint) or host.
	// +kubebuilder:default=path
	// +optional
	URIStyle URIStyle `json:"uriStyle,omitempty"`
}

// S3Store is a bucket of an S3-compatible object store, with its Secrets
// in the BackupStore's namespace.
type S3Store struct {
	S3Location `json:",inline"`

	// CASecretRef names the PEM CA certificate, in a Secret of this
	// namespace, that the endpoint's certificate is verified against; the
	// machines' trusted CAs when unset. Verification is never turned off.
	// +optional
	CASecretRef *xpv2.LocalSecretKeySelector `json:"caSecretRef,omitempty"`

	// CredentialsSecretRef names a Secret of this namespace holding the
	// keys accessKeyId and secretAccessKey.
	CredentialsSecretRef xpv2.LocalSecretReference `json:"credentialsSecretRef"`
}

// PosixStore is a directory on the instance's machines: a local disk or
// an NFS mount. A namespace chooses only a directory name: the provider
// puts it below its backup root (the --backup-root flag) and the
// namespace's name, so root never writes where a namespace points it.
type PosixStore struct {
	// Directory is the repository's directory name below the backup root
	// and this namespace.
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="!self.contains('..')",message="directory must not hold .."
	Directory string `json:"directory"`
}

// StoreEncryption encrypts everything pgBackRest writes to the store
// (repo-cipher-type aes-256-cbc).
type StoreEncryption struct {
	// PassphraseSecretRef names the passphrase in a Secret of this
	// namespace. Changing it makes existing backups unreadable: pgBackRest
	// cannot re-encrypt a repository.
	PassphraseSecretRef xpv2.LocalSecretKeySelector `json:"passphraseSecretRef"`
}

// BackupStoreParameters say where backups go: exactly one of s3 or posix.
// +kubebuilder:validation:XValidation:rule="has(self.s3) != has(self.posix)",message="set exactly one of s3 or posix"
// +kubebuilder:validation:XValidation:rule="has(self.s3) == has(oldSelf.s3) && has(self.posix) == has(oldSelf.posix)",message="the store's kind (s3 or posix) is immutable: make a new BackupStore"
// +kubebuilder:validation:XValidation:rule="has(self.encryption) == has(oldSelf.encryption) && (!has(self.encryption) || self.encryption == oldSelf.encryption)",message="encryption cannot be added, removed or changed: make a new BackupStore with the encryption you want and point instances at it"
type BackupStoreParameters struct {
	// S3 is an S3-compatible bucket.
	// +optional
	S3 *S3Store `json:"s3,omitempty"`

	// Posix is a directory on the instance's machines.
	// +optional
	Posix *PosixStore `json:"posix,omitempty"`

	// The rule that keeps encryption as it was is on the parameters, not
	// here: a transition rule on an optional field runs only when the old
	// and the new object both have it, so adding or removing it would pass.

	// Encryption encrypts the repository. It cannot be added, removed or
	// changed once the store exists: pgBackRest cannot encrypt or decrypt a
	// repository in place, so a change would make its backups unreadable.
	// +optional
	Encryption *StoreEncryption `json:"encryption,omitempty"`

	StoreOptions `json:",inline"`
}

// StoreOptions are a store's settings that do not say where it is: what
// a BackupStore and a ClusterBackupStore share beside their locations.
type StoreOptions struct {
	// Retention is how many backups of each instance are kept; every
	// backup when unset. An instance's spec.forProvider.backup.retention
	// replaces it for that instance.
	// +optional
	Retention *common.BackupRetention `json:"retention,omitempty"`

	// Compression is how backups and archived WAL are compressed in the
	// store (compress-type), a trade of CPU on the instance's machine for
	// room in the store. lz4, the default, costs the least CPU; on
	// make bench-backup's pgbench data it stored a ninth of the bytes, and
	// backups were faster than uncompressed ones to both kinds of store.
	// zst stores less for more CPU; gz (pgBackRest's own default) is
	// slower still; none stores every byte, for data that is compressed
	// already. A change applies to what is written after it: backups and
	// WAL already in the store stay readable.
	// +kubebuilder:default=lz4
	// +optional
	Compression Compression `json:"compression,omitempty"`
}

// BackupStoreObservation is what the provider found in the store.
type BackupStoreObservation struct {
	// Stanzas are the instances' backup sets in the store, sorted.
	// +optional
	Stanzas []string `json:"stanzas,omitempty"`

	// BytesUsed is the size of every backup in the store, as pgBackRest
	// reports it (WAL archive excluded).
	// +optional
	BytesUsed *int64 `json:"bytesUsed,omitempty"`

	// LastChecked is when the store was last reached.
	// +optional
	LastChecked *metav1.Time `json:"lastChecked,omitempty"`
}

// A BackupStoreSpec defines the desired state of a BackupStore.
type BackupStoreSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              BackupStoreParameters `json:"forProvider"`
}

// A BackupStoreStatus represents the observed state of a BackupStore.
type BackupStoreStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 BackupStoreObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A BackupStore is a pgBackRest repository that DatabaseInstances of this
// namespace archive WAL and take backups into (spec.forProvider.backup).
// It is Ready when the provider can reach it. Deleting it removes nothing
// from the store: backups are removed by their retention or by deleting
// their Backup resources.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="BUCKET",type="string",JSONPath=".spec.forProvider.s3.bucket"
// +kubebuilder:printcolumn:name="DIRECTORY",type="string",JSONPath=".spec.forProvider.posix.directory"
// +kubebuilder:printcolumn:name="USED",type="integer",JSONPath=".status.atProvider.bytesUsed",priority=1
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,dbaas,dbaas-managed}
type BackupStore struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   BackupStoreSpec   `json:"spec"`
	Status BackupStoreStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// BackupStoreList contains a list of BackupStore.
type BackupStoreList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BackupStore `json:"items"`
}

// BackupStore type metadata.
var (
	BackupStoreKind             = reflect.TypeOf(BackupStore{}).Name()
	BackupStoreGroupKind        = schema.GroupKind{Group: Group, Kind: BackupStoreKind}.String()
	BackupStoreKindAPIVersion   = BackupStoreKind + "." + SchemeGroupVersion.String()
	BackupStoreGroupVersionKind = SchemeGroupVersion.WithKind(BackupStoreKind)
)

func init() {
	SchemeBuilder.Register(&BackupStore{}, &BackupStoreList{})
}

// StoreObservation is the status.atProvider of the store, which the one
// controller of both kinds of store fills in.
func (s *BackupStore) StoreObservation() *BackupStoreObservation { return &s.Status.AtProvider }
