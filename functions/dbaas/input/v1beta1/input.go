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

package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// InputGroupVersionKind is the apiVersion and kind of an Input.
var InputGroupVersionKind = SchemeGroupVersion.WithKind("Input")

// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=crossplane

// An Input is what a Composition's step gives function-dbaas: the labels of
// the catalog's EnvironmentConfigs, not the catalog itself. The catalog is
// data the platform team edits on its own; a change reaches every Database on
// its next reconcile without a new Composition.
type Input struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Catalog selects the EnvironmentConfigs whose data holds the catalog's
	// lists (engines, tiers, skus, flavors, environments). The lists of every
	// EnvironmentConfig selected are merged.
	Catalog CatalogSelector `json:"catalog"`
}

// A CatalogSelector selects the EnvironmentConfigs of a catalog.
type CatalogSelector struct {
	// MatchLabels are the labels every EnvironmentConfig of the catalog
	// carries, for example dbaas.io/catalog: default. At least one is
	// required: no labels would select every EnvironmentConfig in the
	// cluster.
	// +kubebuilder:validation:MinProperties=1
	MatchLabels map[string]string `json:"matchLabels"`
}
