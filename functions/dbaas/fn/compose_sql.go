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
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/crossplane/function-sdk-go/resource"

	sqlv1alpha1 "github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// classParameterTeam is the parameter a DatabaseClass's procedures read the
// owning team from. Teams are the namespaces their Databases live in.
const classParameterTeam = "team"

// composeInstanceSQL returns the application role and its database on the
// claim's own instance.
func composeInstanceSQL(t target, s selection) map[resource.Name]runtime.Object {
	on := sqlv1alpha1.InstanceReference{InstanceRef: &xpv2.NamespacedReference{Name: t.name(nameInstance)}}
	pc := providerConfig(s.Environment.ProviderConfigRef)
	user, db := composeUser(t, on, pc), composeDatabase(t, s, on, pc)
	if t.Restore != nil {
		// The restored data holds the source's role and database, marked
		// as the source's resources': this Database's take them over, on
		// its own new instance (the only server an import is honoured on
		// besides a ClusterProviderConfig's). The restore is the team's
		// explicit ask for them.
		meta.AddAnnotations(user, map[string]string{ownership.ImportAnnotation: "true"})
		meta.AddAnnotations(db, map[string]string{ownership.ImportAnnotation: "true"})
	}
	return map[resource.Name]runtime.Object{nameUser: user, nameDatabase: db}
}

// composeSharedSQL returns the database of a shared tier on the
// environment's shared server, which the server's provider config names:
// SQL objects that name no instance live on their provider config's server.
//
// Natively, the provider makes an application role and a database it owns.
// Through the DBAs' DatabaseClass, their procedures make the database and
// its credentials, and publish them in the database's connection secret;
// there is no role of the provider's to make, so the Database writes the
// application's connection secret.
func composeSharedSQL(t target, s selection) map[resource.Name]runtime.Object {
	shared := s.Environment.SharedServer
	pc := providerConfig(shared.ProviderConfigRef)
	on := sqlv1alpha1.InstanceReference{}
	if shared.DatabaseClass == "" {
		return map[resource.Name]runtime.Object{
			nameUser:     composeUser(t, on, pc),
			nameDatabase: composeDatabase(t, s, on, pc),
		}
	}

	// The class's procedures make the owner; a Database made by a class
	// names none.
	db := composeDatabase(t, s, on, pc)
	db.Spec.ForProvider.OwnerRef = nil
	db.Spec.ForProvider.ClassRef = &sqlv1alpha1.ClassReference{Name: shared.DatabaseClass}
	db.Spec.ForProvider.Parameters = map[string]string{classParameterTeam: t.Namespace}
	db.Spec.WriteConnectionSecretToReference = &xpv2.LocalSecretReference{Name: t.connectionSecret()}
	return map[resource.Name]runtime.Object{nameDatabase: db}
}

// composeUser returns the application role. The user and the database refer
// to each other: the user's connection secret names the database, and the
// database is owned by the user. The provider resolves both references by
// name, so neither waits on the other being created.
func composeUser(t target, on sqlv1alpha1.InstanceReference, pc *xpv2.ProviderConfigReference) *sqlv1alpha1.User {
	user := &sqlv1alpha1.User{
		ObjectMeta: t.meta(nameUser),
		Spec: sqlv1alpha1.UserSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{
				ProviderConfigReference:          pc,
				WriteConnectionSecretToReference: &xpv2.LocalSecretReference{Name: t.connectionSecret()},
			},
			ForProvider: sqlv1alpha1.UserParameters{
				InstanceReference: on,
				DatabaseRef:       &xpv2.NamespacedReference{Name: t.name(nameDatabase)},
			},
		},
	}
	meta.SetExternalName(user, roleName(t.Database))
	return user
}

// composeDatabase returns the application's database, owned by its role,
// with the flavor's extensions.
func composeDatabase(t target, s selection, on sqlv1alpha1.InstanceReference, pc *xpv2.ProviderConfigReference) *sqlv1alpha1.Database {
	db := &sqlv1alpha1.Database{
		ObjectMeta: t.meta(nameDatabase),
		Spec: sqlv1alpha1.DatabaseSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: pc},
			ForProvider: sqlv1alpha1.DatabaseParameters{
				InstanceReference: on,
				OwnerRef:          &xpv2.NamespacedReference{Name: t.name(nameUser)},
				Extensions:        s.Flavor.Extensions,
			},
		},
	}
	meta.SetExternalName(db, t.Database)
	return db
}
