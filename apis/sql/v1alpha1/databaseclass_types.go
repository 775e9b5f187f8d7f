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
)

// A ProcedureInput is one input of a procedure call. Its value is rendered
// from a Go template and always reaches the server as a bound parameter.
type ProcedureInput struct {
	// Name of the procedure's parameter. SQL Server binds inputs by name
	// and needs it; PostgreSQL binds by name when it is set and by
	// position otherwise; MySQL/MariaDB bind by position, in this list's
	// order, and the name only documents the input.
	// +kubebuilder:validation:Pattern=`^@?[A-Za-z_][A-Za-z0-9_]{0,62}$`
	// +optional
	Name string `json:"name,omitempty"`

	// Value is a Go text/template over the Database: {{ .ExternalName }}
	// (the database's name), {{ .Name }} and {{ .Namespace }} (the
	// resource's), {{ .Labels.key }}, {{ .Annotations.key }} and
	// {{ .Parameters.key }} (spec.forProvider.parameters). A key that is
	// not there is an error, not an empty string.
	// +kubebuilder:validation:MaxLength=1024
	Value string `json:"value"`
}

// A ProcedureOutput maps a key the procedure returns to a key of the
// Database's connection secret.
type ProcedureOutput struct {
	// Key the procedure returns.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`

	// ConnectionSecretKey the value is published as; Key by default.
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]{1,253}$`
	// +optional
	ConnectionSecretKey string `json:"connectionSecretKey,omitempty"`
}

// A ProcedureCall is a stored procedure the server's administrators own, and
// how to call it.
type ProcedureCall struct {
	// Procedure is the procedure's name, optionally schema-qualified
	// (dba.create_database). On PostgreSQL a procedure that returns rows
	// must be a set-returning function.
	// +kubebuilder:validation:Pattern=`^[^.\s]{1,128}(\.[^.\s]{1,128})?$`
	Procedure string `json:"procedure"`

	// Inputs of the call, in order.
	// +kubebuilder:validation:MaxItems=32
	// +optional
	Inputs []ProcedureInput `json:"inputs,omitempty"`

	// Outputs are the keys the procedure returns and where they go in the
	// connection secret. The procedure returns rows of (key, value), or one
	// row whose column names are the keys, and must return exactly these
	// keys: a missing or an unexpected key fails the call and nothing is
	// published.
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=key
	// +optional
	Outputs []ProcedureOutput `json:"outputs,omitempty"`
}

// A DatabaseClassSpec names the procedures that make, remove and re-key a
// class's databases.
type DatabaseClassSpec struct {
	// Engine the procedures are written for; the server of a Database of
	// this class must run it.
	// +kubebuilder:validation:Enum=postgresql;mysql;mariadb;sqlserver
	Engine string `json:"engine"`

	// Create makes the database named {{ .ExternalName }} and returns its
	// credentials. The provider checks that it exists afterwards in the
	// server's catalog.
	Create ProcedureCall `json:"create"`

	// Delete removes the database. Without it a Database of this class
	// cannot be deleted, only orphaned (managementPolicies without Delete).
	// +optional
	Delete *ProcedureCall `json:"delete,omitempty"`

	// Rotate makes new credentials for the database and returns them; the
	// old ones must stop working. It runs when a Database's
	// credentialRotation changes, and when its connection secret lacks
	// keys that Create returns.
	// +optional
	Rotate *ProcedureCall `json:"rotate,omitempty"`
}

// +kubebuilder:object:root=true

// A DatabaseClass lets a server's administrators own how databases are made:
// Databases that name the class are created, deleted and rotated only by
// calling the administrators' stored procedures.
// +kubebuilder:printcolumn:name="ENGINE",type="string",JSONPath=".spec.engine"
// +kubebuilder:printcolumn:name="CREATE",type="string",JSONPath=".spec.create.procedure"
// +kubebuilder:printcolumn:name="DELETE",type="string",JSONPath=".spec.delete.procedure"
// +kubebuilder:printcolumn:name="ROTATE",type="string",JSONPath=".spec.rotate.procedure"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:resource:scope=Cluster,categories={crossplane,dbaas}
type DatabaseClass struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec DatabaseClassSpec `json:"spec"`
}

// +kubebuilder:object:root=true

// DatabaseClassList contains a list of DatabaseClass.
type DatabaseClassList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DatabaseClass `json:"items"`
}

// DatabaseClass type metadata.
var (
	DatabaseClassKind             = reflect.TypeOf(DatabaseClass{}).Name()
	DatabaseClassGroupVersionKind = SchemeGroupVersion.WithKind(DatabaseClassKind)
)

func init() {
	SchemeBuilder.Register(&DatabaseClass{}, &DatabaseClassList{})
}
