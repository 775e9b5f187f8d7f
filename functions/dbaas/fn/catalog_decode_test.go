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
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/crossplane/function-sdk-go/resource"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// requiredConfig is an EnvironmentConfig as the SDK gives it.
func requiredConfig(t *testing.T, name, data string) resource.Required {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := resource.AsObject(rawConfig(name, data).GetResource(), u); err != nil {
		t.Fatal(err)
	}
	return resource.Required{Resource: u}
}

func TestDecodeCatalog(t *testing.T) {
	type config struct{ name, data string }
	type want struct {
		catalog  *v1beta1.Catalog
		from     origins
		problems []string
	}
	cases := map[string]struct {
		reason  string
		configs []config
		want    want
	}{
		"MergeInNameOrder": {
			reason: "Lists of several EnvironmentConfigs should be merged in the order of their names, and each entry's origin kept.",
			configs: []config{
				{"b", `{"skus": [{"name": "large", "cpu": 4, "memoryMiB": 16384}]}`},
				{"a", `{"skus": [{"name": "small", "cpu": 1, "memoryMiB": 1024}], "tiers": [{"name": "dev", "topology": "single", "members": 1}]}`},
				{"c", `{}`},
			},
			want: want{
				catalog: &v1beta1.Catalog{
					Tiers: []v1beta1.Tier{{Name: "dev", Topology: v1beta1.TopologySingle, Members: 1}},
					SKUs:  []v1beta1.SKU{{Name: "small", CPU: 1, MemoryMiB: 1024}, {Name: "large", CPU: 4, MemoryMiB: 16384}},
				},
				from: origins{"skus/small": "a", "tiers/dev": "a", "skus/large": "b"},
			},
		},
		"NestedTypes": {
			reason: "Fields of the provider's machine settings should decode as the provider's types.",
			configs: []config{{"a", `{"environments": [{"name": "vs", "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "vs"},
				"zones": ["a", "b"], "machine": {"cpu": 0, "memoryMiB": 0, "vsphere": {"datacenter": "dc1"}}}]}`}},
			want: want{
				catalog: &v1beta1.Catalog{Environments: []v1beta1.Environment{{
					Name: "vs", ProviderConfigRef: v1beta1.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "vs"},
					Zones:   []string{"a", "b"},
					Machine: &computev1alpha1.VirtualMachineParameters{VSphere: &computev1alpha1.VSphereMachineParameters{Datacenter: "dc1"}},
				}}},
				from: origins{"environments/vs": "a"},
			},
		},
		"UnknownNestedField": {
			reason: "An unknown field deep in an entry should be reported at its path with the fields accepted there, and the entry kept.",
			configs: []config{{"a", `{"environments": [{"name": "e", "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "e"},
				"sharedServer": {"providerConfigRef": {"kind": "ClusterProviderConfig", "name": "dba", "namespace": "dbas"}}}]}`}},
			want: want{
				catalog: &v1beta1.Catalog{Environments: []v1beta1.Environment{{
					Name: "e", ProviderConfigRef: v1beta1.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "e"},
					SharedServer: &v1beta1.SharedServer{ProviderConfigRef: v1beta1.ProviderConfigReference{Kind: "ClusterProviderConfig", Name: "dba"}},
				}}},
				from: origins{"environments/e": "a"},
				problems: []string{`EnvironmentConfig a: data.environments[e].sharedServer.providerConfigRef.namespace: Forbidden: unknown field: ` +
					`accepted fields are kind, name`},
			},
		},
		"WrongTypesEverywhere": {
			reason:  "Every value of the wrong type should be reported at its path, and the entry left out.",
			configs: []config{{"a", `{"engines": [{"name": "postgresql", "versions": [15], "defaultVersion": 15.0, "defaultFlavor": {}}]}`}},
			want: want{
				catalog: &v1beta1.Catalog{},
				from:    origins{},
				problems: []string{
					`EnvironmentConfig a: data.engines[postgresql].defaultFlavor: Invalid value: wrong type: want a string, got an object`,
					`EnvironmentConfig a: data.engines[postgresql].defaultVersion: Invalid value: 15: wrong type: want a string`,
					`EnvironmentConfig a: data.engines[postgresql].versions[0]: Invalid value: 15: wrong type: want a string`,
				},
			},
		},
		"FractionForInteger": {
			reason:  "A fraction where an integer is wanted should be reported.",
			configs: []config{{"a", `{"skus": [{"name": "s", "cpu": 1.5, "memoryMiB": 1024}]}`}},
			want: want{
				catalog:  &v1beta1.Catalog{},
				from:     origins{},
				problems: []string{`EnvironmentConfig a: data.skus[s].cpu: Invalid value: 1.5: wrong type: want an integer from -2147483648 to 2147483647`},
			},
		},
		"EntryWithoutName": {
			reason:  "An entry without a name should be reported by its index.",
			configs: []config{{"a", `{"tiers": [{"topology": "single", "members": 1}]}`}},
			want: want{
				catalog:  &v1beta1.Catalog{},
				from:     origins{},
				problems: []string{`EnvironmentConfig a: data.tiers[0].name: Required value: every entry of tiers needs a name, which Databases use to choose it`},
			},
		},
		"EntryNotAnObject": {
			reason:  "An entry that is not an object should be reported by its index.",
			configs: []config{{"a", `{"skus": ["small"]}`}},
			want: want{
				catalog:  &v1beta1.Catalog{},
				from:     origins{},
				problems: []string{`EnvironmentConfig a: data.skus[0]: Invalid value: "small": wrong type: want an object`},
			},
		},
		"NullList": {
			reason:  "A list set to null should be taken as absent.",
			configs: []config{{"a", `{"skus": null}`}},
			want:    want{catalog: &v1beta1.Catalog{}, from: origins{}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var rs []resource.Required
			for _, c := range tc.configs {
				rs = append(rs, requiredConfig(t, c.name, c.data))
			}
			c, from, problems := decodeCatalog(rs)
			if diff := cmp.Diff(tc.want.catalog, c, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\ndecodeCatalog(...): -want catalog, +got catalog:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.from, from); diff != "" {
				t.Errorf("%s\ndecodeCatalog(...): -want origins, +got origins:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.problems, problems); diff != "" {
				t.Errorf("%s\ndecodeCatalog(...): -want problems, +got problems:\n%s", tc.reason, diff)
			}
		})
	}
}
