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

// Package common holds helpers shared by the provider's API groups.
package common

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/reference"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
)

// ObjectName extracts a referenced resource's metadata.name. References
// between Kubernetes objects of this provider (a VirtualMachine, a
// DatabaseInstance) are by object name; references to SQL objects use the
// external name, which is the object's name in the engine.
func ObjectName() reference.ExtractValueFn {
	return func(mg resource.Managed) string { return mg.GetName() }
}
