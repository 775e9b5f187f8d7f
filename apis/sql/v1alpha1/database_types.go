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

// DatabaseParameters are the desired properties of a database. The
// database's name is the resource's external name, which defaults to the
// resource's metadata.name.
// +kubebuilder:validation:XValidation:rule="!has(self.classRef) || !(has(self.owner) || has(self.ownerRef) || has(self.ownerSelector) || has(self.encoding) || has(self.connectionLimit) || has(self.characterSet) || has(self.collation))",message="a Database made by a DatabaseClass is made only by the class's procedures: pass what they need in parameters, not owner, encoding, connectionLimit, characterSet or collation"
// +kubebuilder:validation:XValidation:rule="has(self.classRef) || !has(self.credentialRotation)",message="credentialRotation applies to Databases made by a DatabaseClass; rotate a native database's credentials on its User"
// +kubebuilder:validation:XValidation:rule="has(self.classRef) || !has(self.parameters)",message="parameters are inputs to a DatabaseClass's procedures: set classRef too"
// +kubebuilder:validation:XValidation:rule="has(self.classRef) == has(oldSelf.classRef) && (!has(self.classRef) || self.classRef.name == oldSelf.classRef.name)",message="classRef is immutable"
type DatabaseParameters struct {
	InstanceReference `json:",inline"`

	// ClassRef names the DatabaseClass whose stored procedures create,
	// delete and rotate this database, instead of the provider's own SQL.
	// +optional
	ClassRef *ClassReference `json:"classRef,omitempty"`

	// Parameters are inputs for the class's procedure templates
	// ({{ .Parameters.key }}).
	// +kubebuilder:validation:MaxProperties=64
	// +optional
	Parameters map[string]string `json:"parameters,omitempty"`

	RotationRequest `json:",inline"`

	// Owner is the role that owns the database.
	// +crossplane:generate:reference:type=User
	// +crossplane:generate:reference:refFieldName=OwnerRef
	// +crossplane:generate:reference:selectorFieldName=OwnerSelector
	// +kubebuilder:validation:XValidation:rule="!(self.lowerAscii() in ['postgres', 'root', 'mysql', 'mariadb.sys', 'sa', 'sys', 'dbo', 'guest'])",message="built-in accounts (postgres, root, mysql, mariadb.sys, sa, sys, dbo, guest) are never managed: name a role of this namespace"
	// +optional
	Owner *string `json:"owner,omitempty"`

	// OwnerRef resolves Owner from a User's external name.
	// +optional
	OwnerRef *xpv2.NamespacedReference `json:"ownerRef,omitempty"`

	// OwnerSelector resolves Owner from a User selected by labels.
	// +optional
	OwnerSelector *xpv2.NamespacedSelector `json:"ownerSelector,omitempty"`

	// Encoding of a PostgreSQL database, such as UTF8; the server's
	// default when unset. Set at creation only.
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_]{1,32}$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="encoding is immutable"
	// +optional
	Encoding string `json:"encoding,omitempty"`

	// ConnectionLimit of a PostgreSQL database; -1 means no limit.
	// +kubebuilder:validation:Minimum=-1
	// +optional
	ConnectionLimit *int32 `json:"connectionLimit,omitempty"`

	// CharacterSet of a MySQL/MariaDB database, such as utf8mb4.
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_]{1,32}$`
	// +optional
	CharacterSet string `json:"characterSet,omitempty"`

	// Collation of a MySQL/MariaDB or SQL Server database, such as
	// utf8mb4_unicode_ci or Latin1_General_100_CI_AS_SC_UTF8.
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_]{1,128}$`
	// +optional
	Collation string `json:"collation,omitempty"`

	// Extensions are created in a PostgreSQL database (CREATE EXTENSION)
	// by the instance's admin account, and dropped when removed from the
	// list. Only the engine's allow-list is accepted (package
	// internal/engine/pgextensions): contrib extensions and those whose
	// packages the instance installs (postgis, vector), which must also be
	// listed in the DatabaseInstance's extensions.
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.all(e, e in ['btree_gin','btree_gist','citext','cube','earthdistance','fuzzystrmatch','hstore','intarray','isn','ltree','pg_stat_statements','pg_trgm','pgcrypto','postgis','postgis_topology','tablefunc','unaccent','uuid-ossp','vector'])",messageExpression="'extension ' + self.filter(e, !(e in ['btree_gin','btree_gist','citext','cube','earthdistance','fuzzystrmatch','hstore','intarray','isn','ltree','pg_stat_statements','pg_trgm','pgcrypto','postgis','postgis_topology','tablefunc','unaccent','uuid-ossp','vector']))[0] + ' is not in the allow-list of extensions'"
	// +listType=set
	// +optional
	Extensions []string `json:"extensions,omitempty"`
}

// A ClassReference names a cluster-scoped DatabaseClass.
type ClassReference struct {
	// Name of the DatabaseClass.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
}

// DatabaseObservation is the observed state of a database.
type DatabaseObservation struct {
	// Owner is the role that owns the database.
	Owner string `json:"owner,omitempty"`

	// Encoding of the database.
	Encoding string `json:"encoding,omitempty"`

	// ConnectionLimit of the database.
	ConnectionLimit *int32 `json:"connectionLimit,omitempty"`
	// CharacterSet of the database.
	CharacterSet string `json:"characterSet,omitempty"`
	// Collation of the database.
	Collation string `json:"collation,omitempty"`
	// CredentialRotation is the last credentialRotation the provider
	// carried out.
	CredentialRotation string `json:"credentialRotation,omitempty"`
	// Extensions are the allow-listed extensions created in the
	// database, by this Database or otherwise, sorted. Only those this
	// Database created (their comment carries its ownership marker) are
	// dropped when removed from spec.forProvider.extensions.
	// +optional
	Extensions []string `json:"extensions,omitempty"`
}

// A DatabaseSpec defines the desired state of a Database.
type DatabaseSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              DatabaseParameters `json:"forProvider"`
}

// A DatabaseStatus represents the observed state of a Database.
type DatabaseStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 DatabaseObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A Database is a database on a DatabaseInstance or on an existing server,
// made by the provider or by a DatabaseClass's stored procedures.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="INSTANCE",type="string",JSONPath=".spec.forProvider.instance"
// +kubebuilder:printcolumn:name="CLASS",type="string",JSONPath=".spec.forProvider.classRef.name"
// +kubebuilder:printcolumn:name="OWNER",type="string",JSONPath=".status.atProvider.owner",priority=1
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,dbaas,dbaas-managed},shortName=sqldatabase
type Database struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   DatabaseSpec   `json:"spec"`
	Status DatabaseStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// DatabaseList contains a list of Database.
type DatabaseList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Database `json:"items"`
}

// Database type metadata.
var (
	DatabaseKind             = reflect.TypeOf(Database{}).Name()
	DatabaseGroupKind        = schema.GroupKind{Group: Group, Kind: DatabaseKind}.String()
	DatabaseKindAPIVersion   = DatabaseKind + "." + SchemeGroupVersion.String()
	DatabaseGroupVersionKind = SchemeGroupVersion.WithKind(DatabaseKind)
)

func init() {
	SchemeBuilder.Register(&Database{}, &DatabaseList{})
}
