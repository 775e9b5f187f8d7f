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
type DatabaseParameters struct {
	InstanceReference `json:",inline"`

	// Owner is the role that owns the database.
	// +crossplane:generate:reference:type=User
	// +crossplane:generate:reference:refFieldName=OwnerRef
	// +crossplane:generate:reference:selectorFieldName=OwnerSelector
	// +optional
	Owner *string `json:"owner,omitempty"`

	// OwnerRef resolves Owner from a User's external name.
	// +optional
	OwnerRef *xpv2.NamespacedReference `json:"ownerRef,omitempty"`

	// OwnerSelector resolves Owner from a User selected by labels.
	// +optional
	OwnerSelector *xpv2.NamespacedSelector `json:"ownerSelector,omitempty"`

	// Encoding of the database. Set at creation only.
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_]{1,32}$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="encoding is immutable"
	// +kubebuilder:default=UTF8
	// +optional
	Encoding string `json:"encoding,omitempty"`

	// ConnectionLimit maps to CONNECTION LIMIT; -1 means no limit.
	// +kubebuilder:validation:Minimum=-1
	// +kubebuilder:default=-1
	// +optional
	ConnectionLimit *int32 `json:"connectionLimit,omitempty"`
}

// DatabaseObservation is the observed state of a database.
type DatabaseObservation struct {
	// Owner is the role that owns the database.
	Owner string `json:"owner,omitempty"`

	// Encoding of the database.
	Encoding string `json:"encoding,omitempty"`

	// ConnectionLimit of the database.
	ConnectionLimit *int32 `json:"connectionLimit,omitempty"`
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

// A Database is a database on a DatabaseInstance.
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name"
// +kubebuilder:printcolumn:name="INSTANCE",type="string",JSONPath=".spec.forProvider.instance"
// +kubebuilder:printcolumn:name="OWNER",type="string",JSONPath=".status.atProvider.owner"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,dbaas}
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
