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
	corev1 "k8s.io/api/core/v1"

	"github.com/crossplane/function-sdk-go/resource"
)

// Phases of an XDatabase, for people reading kubectl output.
const (
	phaseReady        = "Ready"
	phaseProvisioning = "Provisioning"
)

// connectionKeys are the keys a claim's connection secret holds. The user's
// connection secret has all of them: it is what an application logs in with,
// and the CA and sslmode it verifies the server with.
var connectionKeys = []string{"username", "password", "endpoint", "port", "database", "ca.crt", "sslmode"}

// isReady is true when an observed composed resource says it is Ready. A
// resource not observed yet is not ready.
func isReady(oc resource.ObservedComposed, ok bool) bool {
	return ok && oc.Resource.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue
}

// readyForDatabase is true when a composed resource no longer keeps the
// Database from being Ready. A BackupSchedule does not once it exists: its
// Ready condition says whether its last backup worked, or turns False
// while its first backup waits for the instance, and neither says whether
// the application can use the database; a Database that went not Ready
// because a nightly backup failed would look down when it is not. A
// missing store is the instance's to report: its reconcile fails naming
// the store, and a new instance never becomes Ready without it. A schedule
// not created yet still counts, so that a tier that promises backups is
// Ready with them.
func readyForDatabase(name resource.Name, oc resource.ObservedComposed, ok bool) bool {
	if name == nameBackupSchedule {
		return ok
	}
	return isReady(oc, ok)
}

// markReady tells Crossplane which desired resources are ready, and returns
// whether all of them are. Resources that are not ready stay unspecified so
// that Crossplane can still apply its own checks.
func markReady(desired map[resource.Name]*resource.DesiredComposed, observed map[resource.Name]resource.ObservedComposed) bool {
	all := true
	for name, dc := range desired {
		oc, ok := observed[name]
		if !readyForDatabase(name, oc, ok) {
			all = false
			continue
		}
		dc.Ready = resource.ReadyTrue
	}
	return all
}

// secretWriter is the composed resource that writes the application's
// connection secret: the user, or, where the DBAs' DatabaseClass makes the
// credentials and there is no user, the database.
func secretWriter(observed map[resource.Name]resource.ObservedComposed) (resource.ObservedComposed, bool) {
	if user, ok := observed[nameUser]; ok {
		return user, true
	}
	db, ok := observed[nameDatabase]
	return db, ok
}

// connectionDetails picks the claim's connection details from those of the
// resource that writes the application's connection secret.
func connectionDetails(observed map[resource.Name]resource.ObservedComposed) resource.ConnectionDetails {
	cd := resource.ConnectionDetails{}
	w, ok := secretWriter(observed)
	if !ok {
		return cd
	}
	for _, k := range connectionKeys {
		if v, ok := w.ConnectionDetails[k]; ok {
			cd[k] = v
		}
	}
	return cd
}
