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
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
)

// liveInstance is the observed DatabaseInstance of a database that runs
// members machines of topology, version and storage through provider
// config pc.
func liveInstance(topology string, members int, version string, storageGB int, pc string) *fnv1.Resource {
	refs := make([]any, 0, members)
	for i := range members {
		refs = append(refs, map[string]any{"name": "orders-x7k2p-" + string(memberName(i))})
	}
	o := map[string]any{
		"apiVersion": "engine.dbaas.io/v1alpha1",
		"kind":       "DatabaseInstance",
		"metadata":   map[string]any{"name": "orders-x7k2p-instance", "namespace": "team-a"},
		"spec": map[string]any{
			"providerConfigRef": map[string]any{"kind": "ClusterProviderConfig", "name": pc},
			"forProvider": map[string]any{
				"topology": topology, "version": version, "storageGB": storageGB, "virtualMachineRefs": refs,
			},
		},
	}
	b, _ := json.Marshal(o)
	return &fnv1.Resource{Resource: resource.MustStructJSON(string(b))}
}

// liveSharedDatabase is the observed Database of a shared-tier database on
// provider config pc.
func liveSharedDatabase(pc string) *fnv1.Resource {
	return &fnv1.Resource{Resource: resource.MustStructJSON(`{
		"apiVersion": "sql.dbaas.io/v1alpha1", "kind": "Database",
		"metadata": {"name": "orders-x7k2p-database", "namespace": "team-a"},
		"spec": {"providerConfigRef": {"kind": "ClusterProviderConfig", "name": "` + pc + `"}, "forProvider": {}}
	}`)}
}

func TestRefuseChanges(t *testing.T) {
	type args struct {
		xr       *structpb.Struct
		observed map[string]*fnv1.Resource
	}
	type want struct {
		// msg is the fatal result's message; empty when the change is
		// allowed and the database is composed.
		msg string
	}

	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"DevToStandard": {
			reason: "A dev database moving to standard gains a replica: allowed.",
			args: args{
				xr:       tierXR("standard", "local", ""),
				observed: map[string]*fnv1.Resource{"instance": liveInstance("single", 1, "15", 20, "local")},
			},
		},
		"HAToStandard": {
			reason: "An ha database moving to standard drops one replica and keeps its primary: allowed.",
			args: args{
				xr:       tierXR("standard", "local", ""),
				observed: map[string]*fnv1.Resource{"instance": liveInstance("primary", 3, "15", 20, "local")},
			},
		},
		"StorageGrows": {
			reason: "More storage is allowed.",
			args: args{
				xr:       withSpec(map[string]any{"tier": "dev", "environment": "local", "storageGB": 40}),
				observed: map[string]*fnv1.Resource{"instance": liveInstance("single", 1, "15", 20, "local")},
			},
		},
		"StandardToDev": {
			reason: "Dropping from a primary with a replica to one member is refused, saying what is allowed.",
			args: args{
				xr:       tierXR("dev", "local", ""),
				observed: map[string]*fnv1.Resource{"instance": liveInstance("primary", 2, "15", 20, "local")},
			},
			want: want{msg: "spec.tier dev runs one member, but this database runs 2, a primary and replicas: dropping to one member is refused; choose a tier with replicas, or create a new Database"},
		},
		"StorageShrinks": {
			reason: "A smaller disk is refused.",
			args: args{
				xr:       tierXR("dev", "local", ""),
				observed: map[string]*fnv1.Resource{"instance": liveInstance("single", 1, "15", 50, "local")},
			},
			want: want{msg: "spec.storageGB 20 is smaller than the 50 GB this database has: storage only grows; set 50 or more"},
		},
		"MajorVersionChange": {
			reason: "Another major version than the running one is refused.",
			args: args{
				xr:       tierXR("dev", "local", ""),
				observed: map[string]*fnv1.Resource{"instance": liveInstance("single", 1, "14", 20, "local")},
			},
			want: want{msg: "spec.version 15 is not the major version 14 this database runs: major upgrades are not offered yet; set version 14"},
		},
		"InstanceToShared": {
			reason: "A database on its own instance cannot move to the shared server.",
			args: args{
				xr:       tierXR("shared", "local", ""),
				observed: map[string]*fnv1.Resource{"instance": liveInstance("single", 1, "15", 20, "local")},
			},
			want: want{msg: "spec.tier shared puts the database on the environment's shared server, but this database runs on an instance of its own: a database cannot move between its own instance and a shared server; keep a tier with an instance, or create a new Database and copy the data"},
		},
		"SharedToInstance": {
			reason: "A database on the shared server cannot move to an instance of its own.",
			args: args{
				xr:       tierXR("dev", "local", ""),
				observed: map[string]*fnv1.Resource{"database": liveSharedDatabase("shared-local")},
			},
			want: want{msg: "spec.tier dev gives the database an instance of its own, but this database lives on a shared server: a database cannot move off the shared server; keep tier dev, or create a new Database and copy the data"},
		},
		"OtherEnvironment": {
			reason: "A database cannot move between environments, and every problem is reported at once.",
			args: args{
				xr:       tierXR("standard", "gcp", ""),
				observed: map[string]*fnv1.Resource{"instance": liveInstance("primary", 2, "15", 50, "local")},
			},
			want: want{msg: "spec.environment gcp uses ClusterProviderConfig gcp, but this database runs through ClusterProviderConfig local: a database cannot move between environments; keep its environment, or create a new Database there and copy the data; spec.storageGB 20 is smaller than the 50 GB this database has: storage only grows; set 50 or more"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := runTiers(t, tiersCatalog(), tc.args.xr, tc.args.observed)
			if tc.want.msg == "" {
				if len(rsp.GetResults()) > 0 {
					t.Errorf("%s\nf.RunFunction(...): unexpected results %v", tc.reason, rsp.GetResults())
				}
				if len(rsp.GetDesired().GetResources()) == 0 {
					t.Errorf("%s\nf.RunFunction(...): nothing composed", tc.reason)
				}
				return
			}
			if diff := cmp.Diff(fatal(tc.want.msg), rsp, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nf.RunFunction(...): -want rsp, +got rsp:\n%s", tc.reason, diff)
			}
		})
	}
}
