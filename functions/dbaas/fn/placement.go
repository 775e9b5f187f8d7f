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

package fn

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"

	"github.com/crossplane/function-sdk-go/resource/composite"
)

// connectionSecretSuffix names a v2 Database's connection Secret when its
// spec names none: "<Database>-connection", as the XRD documents.
const connectionSecretSuffix = "-connection"

const errGetConnectionSecret = "cannot read spec.writeConnectionSecretToRef.name"

// A placement says where an XR's composed resources go and what is named
// after the object the team wrote.
type placement struct {
	// Namespace holds the composed resources and the connection Secret.
	Namespace string

	// Owner is the name the team gave the object it wrote: the v2
	// Database's, or the claim's. The default database name derives from
	// it.
	Owner string

	// ConnectionSecret is the Secret the application reads, which the
	// composed User writes. It is empty for a claim's XR: Crossplane core
	// copies the XR's connection details to the Secret the claim names.
	ConnectionSecret string
}

// placementOf tells a Crossplane v2 namespaced XR, whose composed resources
// go beside it, from the cluster-scoped XR of a claim, whose composed
// resources go in the claim's namespace as its labels say.
func placementOf(xr *composite.Unstructured) (placement, error) {
	if ns := xr.GetNamespace(); ns != "" {
		p := placement{Namespace: ns, Owner: xr.GetName()}
		// The XRD defaults nothing here: the default is derived from the
		// Database's name, which a schema default cannot express.
		name, err := xr.GetString("spec.writeConnectionSecretToRef.name")
		if err != nil && !fieldpath.IsNotFound(err) {
			return placement{}, errors.Wrap(err, errGetConnectionSecret)
		}
		p.ConnectionSecret = name
		if p.ConnectionSecret == "" {
			p.ConnectionSecret = xr.GetName() + connectionSecretSuffix
		}
		return p, nil
	}

	// Composed resources are namespaced; a cluster-scoped XR that no claim
	// made has nowhere to put them.
	labels := xr.GetLabels()
	ns := labels[labelClaimNamespace]
	if ns == "" {
		return placement{}, errors.Errorf(errNoNamespaceFmt, xr.GetKind(), xr.GetName())
	}
	owner := labels[labelClaimName]
	if owner == "" {
		owner = xr.GetName()
	}
	return placement{Namespace: ns, Owner: owner}, nil
}
