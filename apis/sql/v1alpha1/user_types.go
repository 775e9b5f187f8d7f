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

// UserParameters are the desired properties of a database user (a login
// role). The role's name is the resource's external name, which defaults to
// the resource's metadata.name.
// +kubebuilder:validation:XValidation:rule="!has(self.credentialRotation) || !has(self.passwordSecretRef)",message="credentialRotation rotates generated passwords; a password from passwordSecretRef is changed in its Secret"
// +kubebuilder:validation:XValidation:rule="!(has(self.contained) && self.contained) || has(self.database)",message="a contained user lives in a database: set database"
type UserParameters struct {
	InstanceReference `json:",inline"`

	RotationRequest `json:",inline"`

	// Host the MySQL/MariaDB account connects from ('%' is any host); the
	// account is name@host. Set at creation only.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="host is immutable"
	// +optional
	Host *string `json:"host,omitempty"`

	// ResourceLimits of a MySQL/MariaDB account.
	// +optional
	ResourceLimits *ResourceLimits `json:"resourceLimits,omitempty"`

	// Contained makes a SQL Server contained user: one with a password in
	// its database and no server login. Otherwise a SQL Server user is a
	// login and, when database is set, a user for it in that database.
	// Set at creation only.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="contained is immutable"
	// +optional
	Contained *bool `json:"contained,omitempty"`

	// Database is the database the connection secret points at.
	// +crossplane:generate:reference:type=Database
	// +crossplane:generate:reference:refFieldName=DatabaseRef
	// +crossplane:generate:reference:selectorFieldName=DatabaseSelector
	// +optional
	Database *string `json:"database,omitempty"`

	// DatabaseRef resolves Database from a Database's external name.
	// +optional
	DatabaseRef *xpv2.NamespacedReference `json:"databaseRef,omitempty"`

	// DatabaseSelector resolves Database from a Database selected by labels.
	// +optional
	DatabaseSelector *xpv2.NamespacedSelector `json:"databaseSelector,omitempty"`

	// PasswordSecretRef is where the password is read from. When it is not
	// set, the provider generates a password and keeps it only in the
	// connection secret.
	// +optional
	PasswordSecretRef *xpv2.LocalSecretKeySelector `json:"passwordSecretRef,omitempty"`

	// ConnectionLimit of a PostgreSQL role; -1 means no limit.
	// +kubebuilder:validation:Minimum=-1
	// +optional
	ConnectionLimit *int32 `json:"connectionLimit,omitempty"`
}

// ResourceLimits of a MySQL/MariaDB account; 0 means no limit.
type ResourceLimits struct {
	// MaxQueriesPerHour the account may run.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxQueriesPerHour *int32 `json:"maxQueriesPerHour,omitempty"`
	// MaxUpdatesPerHour the account may run.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxUpdatesPerHour *int32 `json:"maxUpdatesPerHour,omitempty"`
	// MaxConnectionsPerHour the account may open.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxConnectionsPerHour *int32 `json:"maxConnectionsPerHour,omitempty"`
	// MaxUserConnections the account may hold at once.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxUserConnections *int32 `json:"maxUserConnections,omitempty"`
}

// UserObservation is the observed state of a database user.
type UserObservation struct {
	// ConnectionLimit of the role.
	ConnectionLimit *int32 `json:"connectionLimit,omitempty"`

	// CanLogin is true when the role may log in.
	CanLogin bool `json:"canLogin,omitempty"`

	// ResourceLimits of the account.
	ResourceLimits *ResourceLimits `json:"resourceLimits,omitempty"`

	// CredentialRotation is the last credentialRotation the provider
	// carried out.
	CredentialRotation string `json:"credentialRotation,omitempty"`
}

// A UserSpec defines the desired state of a User.
type UserSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              UserParameters `json:"forProvider"`
}

// A UserStatus represents the observed state of a User.
type UserStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 UserObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A User is a login role on a DatabaseInstance. Its connection secret holds
// username, password, endpoint, port and database.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="INSTANCE",type="string",JSONPath=".spec.forProvider.instance"
// +kubebuilder:printcolumn:name="DATABASE",type="string",JSONPath=".spec.forProvider.database"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,dbaas,dbaas-managed},shortName=sqluser
type User struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   UserSpec   `json:"spec"`
	Status UserStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// UserList contains a list of User.
type UserList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []User `json:"items"`
}

// User type metadata.
var (
	UserKind             = reflect.TypeOf(User{}).Name()
	UserGroupKind        = schema.GroupKind{Group: Group, Kind: UserKind}.String()
	UserKindAPIVersion   = UserKind + "." + SchemeGroupVersion.String()
	UserGroupVersionKind = SchemeGroupVersion.WithKind(UserKind)
)

func init() {
	SchemeBuilder.Register(&User{}, &UserList{})
}
