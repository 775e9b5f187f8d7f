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

// markReady tells Crossplane which desired resources are ready, and returns
// whether all of them are. Resources that are not ready stay unspecified so
// that Crossplane can still apply its own checks.
func markReady(desired map[resource.Name]*resource.DesiredComposed, observed map[resource.Name]resource.ObservedComposed) bool {
	all := true
	for _, name := range composedNames {
		oc, ok := observed[name]
		if !isReady(oc, ok) {
			all = false
			continue
		}
		desired[name].Ready = resource.ReadyTrue
	}
	return all
}

// connectionDetails picks the claim's connection details from the user's.
func connectionDetails(observed map[resource.Name]resource.ObservedComposed) resource.ConnectionDetails {
	cd := resource.ConnectionDetails{}
	user, ok := observed[nameUser]
	if !ok {
		return cd
	}
	for _, k := range connectionKeys {
		if v, ok := user.ConnectionDetails[k]; ok {
			cd[k] = v
		}
	}
	return cd
}

// A status is what an XDatabase reports about itself.
type status struct {
	Endpoint string
	Port     int64
	Database string
	Phase    string
}

// observeStatus reads the endpoint from the observed instance. The endpoint
// and port are unknown until the engine runs, and then left out.
func observeStatus(observed map[resource.Name]resource.ObservedComposed, database string, ready bool) status {
	s := status{Database: database, Phase: phaseProvisioning}
	if ready {
		s.Phase = phaseReady
	}
	if in, ok := observed[nameInstance]; ok {
		// Both are optional in the instance's status; a missing one leaves
		// the zero value, which is not reported.
		s.Endpoint, _ = in.Resource.GetString("status.atProvider.endpoint")
		s.Port, _ = in.Resource.GetInteger("status.atProvider.port")
	}
	return s
}
