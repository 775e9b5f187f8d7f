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

// Package v1beta1 holds the input of function-dbaas, which names the
// platform catalog's EnvironmentConfigs, and the types of the catalog they
// hold: which engines, tiers, SKUs, flavors and environments a Database may
// ask for.
// +kubebuilder:object:generate=true
// +groupName=catalog.fn.dbaas.io
// +versionName=v1beta1
package v1beta1

// Deepcopy methods, and the CRD that documents the input's schema.
//go:generate go tool controller-gen paths=. object crd:crdVersions=v1 output:artifacts:config=../../package/input

import "k8s.io/apimachinery/pkg/runtime/schema"

// Package type metadata.
const (
	Group   = "catalog.fn.dbaas.io"
	Version = "v1beta1"
)

var (
	// SchemeGroupVersion is the group and version of the input.
	SchemeGroupVersion = schema.GroupVersion{Group: Group, Version: Version}

	// CatalogGroupVersionKind is the apiVersion and kind of a Catalog.
	CatalogGroupVersionKind = SchemeGroupVersion.WithKind("Catalog")
)
