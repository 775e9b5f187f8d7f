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

// GrantParameters are the privileges a user holds on a database.
type GrantParameters struct {
	InstanceReference `json:",inline"`

	// User that holds the privileges.
	// +crossplane:generate:reference:type=User
	// +crossplane:generate:reference:refFieldName=UserRef
	// +crossplane:generate:reference:selectorFieldName=UserSelector
	// +kubebuilder:validation:XValidation:rule="!(self.lowerAscii() in ['postgres', 'root', 'mysql', 'mariadb.sys', 'sa', 'sys', 'dbo', 'guest'])",message="built-in accounts (postgres, root, mysql, mariadb.sys, sa, sys, dbo, guest) are never managed: name a user of this namespace"
	// +optional
	User *string `json:"user,omitempty"`

	// UserRef resolves User from a User's external name.
	// +optional
	UserRef *xpv2.NamespacedReference `json:"userRef,omitempty"`

	// UserSelector resolves User from a User selected by labels.
	// +optional
	UserSelector *xpv2.NamespacedSelector `json:"userSelector,omitempty"`

	// Host of the MySQL/MariaDB account (name@host), as on its User.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +optional
	Host *string `json:"host,omitempty"`

	// Database the privileges are on.
	// +crossplane:generate:reference:type=Database
	// +crossplane:generate:reference:refFieldName=DatabaseRef
	// +crossplane:generate:reference:selectorFieldName=DatabaseSelector
	// +kubebuilder:validation:XValidation:rule="!(self.lowerAscii() in ['template0', 'template1', 'mysql', 'information_schema', 'performance_schema', 'sys', 'master', 'tempdb', 'model', 'msdb', 'dbaas_provider', '*'])",message="built-in databases are never granted on: name a database of this namespace"
	// +optional
	Database *string `json:"database,omitempty"`

	// DatabaseRef resolves Database from a Database's external name.
	// +optional
	DatabaseRef *xpv2.NamespacedReference `json:"databaseRef,omitempty"`

	// DatabaseSelector resolves Database from a Database selected by
	// labels.
	// +optional
	DatabaseSelector *xpv2.NamespacedSelector `json:"databaseSelector,omitempty"`

	// Privileges on the database, as the engine names them: CONNECT,
	// CREATE, TEMPORARY on PostgreSQL; SELECT, INSERT, ... on MySQL and
	// SQL Server; ALL for every one. A Grant manages only these (and those
	// it asked for before, which it revokes): other privileges the user
	// holds, such as a User's access to its own database, are left alone.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z][A-Za-z ]{0,63}$`
	// +listType=set
	Privileges []string `json:"privileges"`
}

// GrantObservation is the observed state of a grant.
type GrantObservation struct {
	// Privileges this Grant manages that the user holds on the database.
	Privileges []string `json:"privileges,omitempty"`
}

// A GrantSpec defines the desired state of a Grant.
type GrantSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              GrantParameters `json:"forProvider"`
}

// A GrantStatus represents the observed state of a Grant.
type GrantStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 GrantObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A Grant gives a User privileges on a Database, on a DatabaseInstance or on
// an existing server.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="USER",type="string",JSONPath=".spec.forProvider.user"
// +kubebuilder:printcolumn:name="DATABASE",type="string",JSONPath=".spec.forProvider.database"
// +kubebuilder:printcolumn:name="PRIVILEGES",type="string",JSONPath=".status.atProvider.privileges"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,dbaas,dbaas-managed},shortName=sqlgrant
type Grant struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   GrantSpec   `json:"spec"`
	Status GrantStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// GrantList contains a list of Grant.
type GrantList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Grant `json:"items"`
}

// Grant type metadata.
var (
	GrantKind             = reflect.TypeOf(Grant{}).Name()
	GrantGroupKind        = schema.GroupKind{Group: Group, Kind: GrantKind}.String()
	GrantKindAPIVersion   = GrantKind + "." + SchemeGroupVersion.String()
	GrantGroupVersionKind = SchemeGroupVersion.WithKind(GrantKind)
)

func init() {
	SchemeBuilder.Register(&Grant{}, &GrantList{})
}
