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

// The CRDs are generated from scratch so that a removed kind leaves no file behind.
//go:generate rm -rf ../package/crds

// Deepcopy methods and CRD manifests.
//go:generate go tool controller-gen object:headerFile=../hack/boilerplate.go.txt paths=./... crd:crdVersions=v1 output:artifacts:config=../package/crds

// crossplane-runtime method sets (resource.Managed, ProviderConfig, ...).
//go:generate go tool angryjet generate-methodsets --header-file=../hack/boilerplate.go.txt ./...

// angryjet writes the method sets of cluster-scoped and of namespaced
// managed kinds to the same file, the namespaced ones last, so a package
// holding both (ops: ClusterBackupStore beside BackupStore) loses the
// cluster ones. This run writes them to files of their own: it skips every
// method already defined in another file, so it adds only what the run
// above left out, and the run above skips what this one wrote.
//go:generate go tool angryjet generate-methodsets --header-file=../hack/boilerplate.go.txt --filename-managed=zz_generated.managed_cluster.go --filename-managed-list=zz_generated.managedlist_cluster.go ./ops/...

// Package apis holds the provider's API types and registers them with a scheme.
package apis

import (
	"k8s.io/apimachinery/pkg/runtime"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	opsv1alpha1 "github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/apis/v1alpha1"
)

// AddToScheme adds every API group of the provider to a scheme.
func AddToScheme(s *runtime.Scheme) error {
	for _, add := range []func(*runtime.Scheme) error{
		v1alpha1.SchemeBuilder.AddToScheme,
		computev1alpha1.SchemeBuilder.AddToScheme,
		enginev1alpha1.SchemeBuilder.AddToScheme,
		opsv1alpha1.SchemeBuilder.AddToScheme,
		sqlv1alpha1.SchemeBuilder.AddToScheme,
	} {
		if err := add(s); err != nil {
			return err
		}
	}
	return nil
}
