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

// InstanceReference says which DatabaseInstance, in the resource's own
// namespace, a SQL object lives on. A SQL object that names none lives on
// the existing server of its provider config (spec.server).
type InstanceReference struct {
	// Instance is the name of a DatabaseInstance in this namespace.
	// +crossplane:generate:reference:type=github.com/dbaas-io/dbaas/apis/engine/v1alpha1.DatabaseInstance
	// +crossplane:generate:reference:extractor=github.com/dbaas-io/dbaas/apis/common.ObjectName()
	// +crossplane:generate:reference:refFieldName=InstanceRef
	// +crossplane:generate:reference:selectorFieldName=InstanceSelector
	// +optional
	Instance string `json:"instance,omitempty"`

	// InstanceRef resolves Instance by name.
	// +optional
	InstanceRef *xpv2.NamespacedReference `json:"instanceRef,omitempty"`

	// InstanceSelector resolves Instance by labels.
	// +optional
	InstanceSelector *xpv2.NamespacedSelector `json:"instanceSelector,omitempty"`
}

// RotationRequest lets users ask for new credentials.
type RotationRequest struct {
	// CredentialRotation requests new credentials whenever it changes: set
	// it to any new value (a date, a counter) and the provider makes a new
	// password, publishes it to the connection secret and makes the old
	// one stop working.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	CredentialRotation string `json:"credentialRotation,omitempty"`
}
