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
	"fmt"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// running is what a live database runs now, as its observed composed
// resources say. It is what a change of the spec is checked against.
type running struct {
	// Instance is true when the database runs on an instance of its own,
	// and Shared when it is a database on a shared server.
	Instance, Shared bool

	Topology       string
	Members        int
	Version        string
	StorageGB      int64
	ProviderConfig string
}

// observeRunning reads what a database runs from its observed composed
// resources. A database nothing was composed for yet runs nothing.
func observeRunning(observed map[resource.Name]resource.ObservedComposed) running {
	r := running{}
	in, ok := observed[nameInstance]
	if !ok {
		// A shared database has a Database but no instance.
		if db, ok := observed[nameDatabase]; ok {
			r.Shared = true
			r.ProviderConfig = providerConfigOf(db)
		}
		return r
	}
	r.Instance = true
	r.Topology, _ = in.Resource.GetString("spec.forProvider.topology")
	r.Version, _ = in.Resource.GetString("spec.forProvider.version")
	r.StorageGB, _ = in.Resource.GetInteger("spec.forProvider.storageGB")
	r.ProviderConfig = providerConfigOf(in)
	refs, _ := in.Resource.GetValue("spec.forProvider.virtualMachineRefs")
	if l, ok := refs.([]any); ok {
		r.Members = len(l)
	}
	return r
}

func providerConfigOf(oc resource.ObservedComposed) string {
	kind, _ := oc.Resource.GetString("spec.providerConfigRef.kind")
	name, _ := oc.Resource.GetString("spec.providerConfigRef.name")
	if name == "" {
		// Not known: nothing to compare with.
		return ""
	}
	return kind + " " + name
}

// refuseChanges reports the changes of a live database that would lose or
// strand its data: moving between its own instance and a shared server or
// between environments, dropping from a primary with replicas to one
// member, a smaller disk, or another major version. Each message says what
// is allowed instead. Growing storage, a larger or smaller SKU, dev to
// standard or ha, and ha to standard are changes the provider carries out.
func refuseChanges(r running, s selection) error {
	if !r.Instance && !r.Shared {
		return nil
	}
	var problems []string
	shared := s.Tier.Topology == v1beta1.TopologyShared
	switch {
	case r.Instance && shared:
		problems = append(problems, fmt.Sprintf("spec.tier %s puts the database on the environment's shared server, but this database runs on an instance of its own: a database cannot move between its own instance and a shared server; keep a tier with an instance, or create a new Database and copy the data", s.Tier.Name))
	case r.Shared && !shared:
		problems = append(problems, fmt.Sprintf("spec.tier %s gives the database an instance of its own, but this database lives on a shared server: a database cannot move off the shared server; keep tier %s, or create a new Database and copy the data", s.Tier.Name, s.Tier.Name))
	}

	// Between environments only when the database stays what it is: a move
	// between an instance and a shared server is reported above.
	staysOwnInstance, staysShared := r.Instance && !shared, r.Shared && shared
	if pc := environmentProviderConfig(s); r.ProviderConfig != "" && pc != r.ProviderConfig && (staysOwnInstance || staysShared) {
		problems = append(problems, fmt.Sprintf("spec.environment %s uses %s, but this database runs through %s: a database cannot move between environments; keep its environment, or create a new Database there and copy the data", s.Environment.Name, pc, r.ProviderConfig))
	}

	if staysOwnInstance {
		if r.Topology == string(v1beta1.TopologyPrimary) && s.Tier.Topology == v1beta1.TopologySingle {
			problems = append(problems, fmt.Sprintf("spec.tier %s runs one member, but this database runs %d, a primary and replicas: dropping to one member is refused; choose a tier with replicas, or create a new Database", s.Tier.Name, r.Members))
		}
		if r.StorageGB > s.StorageGB {
			problems = append(problems, fmt.Sprintf("spec.storageGB %d is smaller than the %d GB this database has: storage only grows; set %d or more", s.StorageGB, r.StorageGB, r.StorageGB))
		}
		if r.Version != "" && r.Version != s.Version {
			problems = append(problems, fmt.Sprintf("spec.version %s is not the major version %s this database runs: major upgrades are not offered yet; set version %s", s.Version, r.Version, r.Version))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "; "))
}

// environmentProviderConfig is the provider config the selection's resources
// use: the shared server's for the shared tier, else the environment's.
func environmentProviderConfig(s selection) string {
	ref := s.Environment.ProviderConfigRef
	if s.Tier.Topology == v1beta1.TopologyShared && s.Environment.SharedServer != nil {
		ref = s.Environment.SharedServer.ProviderConfigRef
	}
	return ref.Kind + " " + ref.Name
}
