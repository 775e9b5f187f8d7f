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
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// rawConfig is an EnvironmentConfig of the tests' catalog with data written
// as JSON, so that malformed data can be expressed.
func rawConfig(name, data string) *fnv1.Resource {
	return &fnv1.Resource{Resource: resource.MustStructJSON(`{
		"apiVersion": "apiextensions.crossplane.io/v1beta1",
		"kind": "EnvironmentConfig",
		"metadata": {"name": "` + name + `", "labels": {"dbaas.io/catalog": "default"}},
		"data": ` + data + `
	}`)}
}

// configs answers the requirement for the catalog with these
// EnvironmentConfigs.
func configs(ecs ...*fnv1.Resource) map[string]*fnv1.Resources {
	return map[string]*fnv1.Resources{requiredCatalog: {Items: ecs}}
}

// splitCatalog is catalog() in one EnvironmentConfig per list, as the
// platform ships it.
func splitCatalog() map[string]*fnv1.Resources {
	c := catalog()
	return configs(
		&fnv1.Resource{Resource: environmentConfig("dbaas-catalog-skus", &v1beta1.Catalog{SKUs: c.SKUs})},
		&fnv1.Resource{Resource: environmentConfig("dbaas-catalog-environment-local", &v1beta1.Catalog{Environments: c.Environments})},
		&fnv1.Resource{Resource: environmentConfig("dbaas-catalog-engines", &v1beta1.Catalog{Engines: c.Engines})},
		&fnv1.Resource{Resource: environmentConfig("dbaas-catalog-tiers", &v1beta1.Catalog{Tiers: c.Tiers})},
	)
}

// badCatalog is the Fatal of a malformed catalog.
func badCatalog(problems string) *fnv1.RunFunctionResponse {
	return fatal("the platform catalog (the EnvironmentConfigs labelled dbaas.io/catalog=default) is malformed: " + problems)
}

// good is a valid catalog's lists as JSON, to which each case adds one entry.
const (
	goodEngines      = `{"name": "postgresql", "versions": ["15"], "defaultVersion": "15"}`
	goodTiers        = `{"name": "dev", "topology": "single", "members": 1}`
	goodSKUs         = `{"name": "small", "cpu": 1, "memoryMiB": 1024}`
	goodEnvironments = `{"name": "local", "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "local"}}`
)

// withGood is an EnvironmentConfig holding a valid catalog plus extra
// entries, given as JSON list items by list.
func withGood(name string, extra map[string]string) *fnv1.Resource {
	lists := map[string]string{
		listEngines:      goodEngines,
		listTiers:        goodTiers,
		listSKUs:         goodSKUs,
		listEnvironments: goodEnvironments,
		listFlavors:      "",
	}
	data := "{"
	for i, l := range catalogLists {
		items := lists[l]
		if e, ok := extra[l]; ok {
			if items != "" {
				items += ", "
			}
			items += e
		}
		if i > 0 {
			data += ", "
		}
		data += `"` + l + `": [` + items + `]`
	}
	return rawConfig(name, data+"}")
}

func TestLoadCatalog(t *testing.T) {
	type args struct {
		input    *structpb.Struct
		required map[string]*fnv1.Resources
	}
	type want struct {
		rsp *fnv1.RunFunctionResponse
	}

	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"RequirementFirst": {
			reason: "Before core answered the requirement, the function should ask for the catalog's EnvironmentConfigs, compose nothing, and not be fatal.",
			args:   args{input: input()},
			want:   want{rsp: &fnv1.RunFunctionResponse{Meta: rspMeta(), Requirements: requirements()}},
		},
		"NoCatalog": {
			reason: "A requirement that no EnvironmentConfig answers should be fatal and name the labels.",
			args:   args{input: input(), required: configs()},
			want: want{rsp: fatal("no catalog: no EnvironmentConfig is labelled dbaas.io/catalog=default; " +
				"apply the platform's catalog (apis/platform/catalog) or fix the labels in the Composition's input")},
		},
		"InputIsCatalog": {
			reason: "The catalog inline in the input, as Compositions had it, should be fatal and say what the input must be.",
			args: args{input: resource.MustStructJSON(`{"apiVersion": "catalog.fn.dbaas.io/v1beta1", "kind": "Catalog", "skus": []}`),
				required: splitCatalog()},
			want: want{rsp: fatalInput("the function input is a catalog.fn.dbaas.io/v1beta1 Catalog: want a catalog.fn.dbaas.io/v1beta1 Input " +
				"whose catalog.matchLabels name the catalog's EnvironmentConfigs")},
		},
		"NoLabels": {
			reason: "An input without labels would select every EnvironmentConfig and should be fatal.",
			args:   args{input: resource.MustStructJSON(`{"apiVersion": "catalog.fn.dbaas.io/v1beta1", "kind": "Input", "catalog": {"matchLabels": {}}}`)},
			want: want{rsp: fatalInput("the function input's catalog.matchLabels are empty: " +
				"name the labels of the catalog's EnvironmentConfigs, for example dbaas.io/catalog: default")},
		},
		"UnknownList": {
			reason: "A key of data that is not a catalog list should be fatal and list the lists.",
			args:   args{input: input(), required: configs(withGood("c", nil), rawConfig("extra", `{"sizes": []}`))},
			want: want{rsp: badCatalog(`EnvironmentConfig extra: data.sizes: Forbidden: unknown field: ` +
				`accepted fields are engines, environments, flavors, skus, tiers`)},
		},
		"UnknownField": {
			reason: "A field an entry does not have should be fatal, name the entry and list the fields.",
			args: args{input: input(), required: configs(withGood("c", map[string]string{
				listSKUs: `{"name": "big", "cpu": 8, "memoryMB": 1024}`,
			}))},
			want: want{rsp: badCatalog(`EnvironmentConfig c: data.skus[big].memoryMB: Forbidden: unknown field: ` +
				`accepted fields are cpu, description, maxConnections, memoryMiB, name, sharedBuffersMB; ` +
				`EnvironmentConfig c: data.skus[big].memoryMiB: Invalid value: 0: must be 256 or more`)},
		},
		"WrongType": {
			reason: "A value of the wrong type should be fatal and say which type is accepted.",
			args: args{input: input(), required: configs(withGood("c", map[string]string{
				listSKUs: `{"name": "big", "cpu": 8, "memoryMiB": "16Gi"}`,
			}))},
			want: want{rsp: badCatalog(`EnvironmentConfig c: data.skus[big].memoryMiB: Invalid value: "16Gi": ` +
				`wrong type: want an integer from -2147483648 to 2147483647`)},
		},
		"ListOfWrongType": {
			reason: "A list that is not a list should be fatal.",
			args:   args{input: input(), required: configs(withGood("c", nil), rawConfig("d", `{"skus": "small"}`))},
			want:   want{rsp: badCatalog(`EnvironmentConfig d: data.skus: Invalid value: "small": wrong type: want a list of skus`)},
		},
		"SameNameInTwoConfigs": {
			reason: "A name defined by two EnvironmentConfigs should be fatal and name both.",
			args:   args{input: input(), required: configs(withGood("b", nil), rawConfig("a", `{"tiers": [`+goodTiers+`]}`))},
			want: want{rsp: badCatalog(`EnvironmentConfig b: data.tiers[dev]: Duplicate value: "dev": ` +
				`also defined in EnvironmentConfig a: a name may appear once in the catalog's tiers`)},
		},
		"SameNameTwiceInAList": {
			reason: "A name twice in one list should be fatal.",
			args:   args{input: input(), required: configs(withGood("c", map[string]string{listSKUs: goodSKUs}))},
			want: want{rsp: badCatalog(`EnvironmentConfig c: data.skus[small]: Duplicate value: "small": ` +
				`defined twice in this EnvironmentConfig's skus: a name may appear once in the catalog's skus`)},
		},
		"PrimaryWithOneMember": {
			reason: "A primary tier with fewer than 2 members should be fatal.",
			args: args{input: input(), required: configs(withGood("c", map[string]string{
				listTiers: `{"name": "standard", "topology": "primary", "members": 1}`,
			}))},
			want: want{rsp: badCatalog(`EnvironmentConfig c: data.tiers[standard].members: Invalid value: 1: ` +
				`a primary tier has from 2 members (a primary and a replica) to 6`)},
		},
		"SingleWithTwoMembers": {
			reason: "A single tier with other than 1 member should be fatal.",
			args: args{input: input(), required: configs(withGood("c", map[string]string{
				listTiers: `{"name": "solo", "topology": "single", "members": 2}`,
			}))},
			want: want{rsp: badCatalog(`EnvironmentConfig c: data.tiers[solo].members: Invalid value: 2: a single tier has exactly 1 member`)},
		},
		"SharedWithMembers": {
			reason: "A shared tier with members should be fatal.",
			args: args{input: input(), required: configs(withGood("c", map[string]string{
				listTiers: `{"name": "shared", "topology": "shared", "members": 1}`,
			}))},
			want: want{rsp: badCatalog(`EnvironmentConfig c: data.tiers[shared].members: Forbidden: a shared tier has no members of its own: ` +
				`its databases live on the environment's sharedServer; remove members`)},
		},
		"SyncQuorumOfAllMembers": {
			reason: "A sync quorum as large as the members should be fatal: the primary does not count.",
			args: args{input: input(), required: configs(withGood("c", map[string]string{
				listTiers: `{"name": "ha", "topology": "primary", "members": 3, "replication": "sync", "syncQuorum": 3}`,
			}))},
			want: want{rsp: badCatalog(`EnvironmentConfig c: data.tiers[ha].syncQuorum: Invalid value: 3: ` +
				`must be from 1 to members - 1 (2): only replicas confirm a commit`)},
		},
		"SyncOnSingle": {
			reason: "Sync replication on a tier that is not primary should be fatal.",
			args: args{input: input(), required: configs(withGood("c", map[string]string{
				listTiers: `{"name": "solo", "topology": "single", "members": 1, "replication": "sync"}`,
			}))},
			want: want{rsp: badCatalog(`EnvironmentConfig c: data.tiers[solo].replication: Forbidden: ` +
				`only a tier with topology primary replicates: use topology primary, or remove replication`)},
		},
		"SKUTooSmall": {
			reason: "A SKU with no CPU or too little memory should be fatal, each field named.",
			args: args{input: input(), required: configs(withGood("c", map[string]string{
				listSKUs: `{"name": "tiny", "cpu": 0, "memoryMiB": 128}`,
			}))},
			want: want{rsp: badCatalog(`EnvironmentConfig c: data.skus[tiny].cpu: Invalid value: 0: must be 1 or more; ` +
				`EnvironmentConfig c: data.skus[tiny].memoryMiB: Invalid value: 128: must be 256 or more`)},
		},
		"FlavorOfUnknownEngine": {
			reason: "A flavor of an engine the catalog does not offer should be fatal and list the engines.",
			args: args{input: input(), required: configs(withGood("c", map[string]string{
				listFlavors: `{"name": "maria", "engine": "mariadb"}`,
			}))},
			want: want{rsp: badCatalog(`EnvironmentConfig c: data.flavors[maria].engine: Invalid value: "mariadb": ` +
				`must be an engine of the catalog: accepted values are postgresql`)},
		},
		"FlavorWithExtensionNotAllowed": {
			reason: "A flavor's extension outside the engine's allow-list should be fatal and list the allow-list.",
			args: args{input: input(), required: configs(withGood("c", map[string]string{
				listFlavors: `{"name": "timeseries", "engine": "postgresql", "extensions": ["timescaledb"]}`,
			}))},
			want: want{rsp: badCatalog(`EnvironmentConfig c: data.flavors[timeseries].extensions[0]: Invalid value: "timescaledb": ` +
				`must be in the allow-list of engine postgresql: accepted values are btree_gin, btree_gist, citext, cube, ` +
				`earthdistance, fuzzystrmatch, hstore, intarray, isn, ltree, pg_stat_statements, pg_trgm, pgcrypto, ` +
				`postgis, postgis_topology, tablefunc, unaccent, uuid-ossp, vector`)},
		},
		"EngineDefaultsNotOffered": {
			reason: "An engine whose default version or flavor it does not offer should be fatal.",
			args: args{input: input(), required: configs(rawConfig("c", `{
				"engines": [{"name": "postgresql", "versions": ["15"], "defaultVersion": "16", "defaultFlavor": "postgis"}],
				"flavors": [{"name": "postgresql", "engine": "postgresql"}]
			}`))},
			want: want{rsp: badCatalog(`EnvironmentConfig c: data.engines[postgresql].defaultVersion: Unsupported value: "16": supported values: "15"; ` +
				`EnvironmentConfig c: data.engines[postgresql].defaultFlavor: Invalid value: "postgis": ` +
				`must be a flavor of engine postgresql: accepted values are postgresql`)},
		},
		"AllowedTierUnknown": {
			reason: "An environment allowing a tier the catalog does not offer should be fatal and list the tiers.",
			args: args{input: input(), required: configs(withGood("c", map[string]string{
				listEnvironments: `{"name": "gcp", "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "gcp"}, "allowedTiers": ["dev", "gold"]}`,
			}))},
			want: want{rsp: badCatalog(`EnvironmentConfig c: data.environments[gcp].allowedTiers[1]: Invalid value: "gold": ` +
				`must be a tier of the catalog: accepted values are dev`)},
		},
		"PricingOfUnknownSKUAndBadPrice": {
			reason: "Pricing of a SKU the catalog does not offer, and a price that is not a non-negative decimal, should be fatal.",
			args: args{input: input(), required: configs(withGood("c", map[string]string{
				listEnvironments: `{"name": "gcp", "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "gcp"},
					"pricing": {"currency": "EUR", "skus": {"small": "-1", "huge": "100"}, "storageGB": "0,10"}}`,
			}))},
			want: want{rsp: badCatalog(`EnvironmentConfig c: data.environments[gcp].pricing.skus[huge]: Invalid value: "huge": ` +
				`must be a SKU of the catalog: accepted values are small; ` +
				`EnvironmentConfig c: data.environments[gcp].pricing.skus[small]: Invalid value: "-1": ` +
				`must be a non-negative decimal in quotes, such as "12.50"; ` +
				`EnvironmentConfig c: data.environments[gcp].pricing.storageGB: Invalid value: "0,10": ` +
				`must be a non-negative decimal in quotes, such as "12.50"`)},
		},
		"PriceNotQuoted": {
			reason: "A price YAML reads as a number should be fatal and say to write a string.",
			args: args{input: input(), required: configs(withGood("c", map[string]string{
				listEnvironments: `{"name": "gcp", "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "gcp"},
					"pricing": {"currency": "EUR", "storageGB": 0.1}}`,
			}))},
			want: want{rsp: badCatalog(`EnvironmentConfig c: data.environments[gcp].pricing.storageGB: Invalid value: 0.1: wrong type: want a string`)},
		},
		"SharedServerWithoutProviderConfig": {
			reason: "A shared server that names no provider config should be fatal.",
			args: args{input: input(), required: configs(withGood("c", map[string]string{
				listEnvironments: `{"name": "gcp", "providerConfigRef": {"kind": "ClusterProviderConfig", "name": "gcp"},
					"sharedServer": {"databaseClass": "dba"}}`,
			}))},
			want: want{rsp: badCatalog(`EnvironmentConfig c: data.environments[gcp].sharedServer.providerConfigRef: Required value: ` +
				`name the ClusterProviderConfig whose spec.server holds the shared tier's databases`)},
		},
		"EveryProblemAtOnce": {
			reason: "Problems of several EnvironmentConfigs should all be reported, by EnvironmentConfig name, then list, then entry.",
			args: args{input: input(), required: configs(
				rawConfig("z", `{"skus": [{"name": "tiny", "cpu": 1, "memoryMiB": 1}]}`),
				withGood("a", map[string]string{listTiers: `{"name": "x", "topology": "ring"}`}),
			)},
			want: want{rsp: badCatalog(`EnvironmentConfig a: data.tiers[x].topology: Unsupported value: "ring": ` +
				`supported values: "single", "primary", "shared"; ` +
				`EnvironmentConfig z: data.skus[tiny].memoryMiB: Invalid value: 1: must be 256 or more`)},
		},
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{
				Meta:              &fnv1.RequestMeta{Tag: "hello"},
				Input:             tc.args.input,
				RequiredResources: tc.args.required,
				Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(xr)}},
			}
			rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), req)
			if err != nil {
				t.Fatalf("%s\nf.RunFunction(...): %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want.rsp, rsp, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nf.RunFunction(...): -want rsp, +got rsp:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestLoadCatalogMerges composes with the catalog split into one
// EnvironmentConfig per list, listed out of order, and wants the very
// response of the same catalog in one EnvironmentConfig.
func TestLoadCatalogMerges(t *testing.T) {
	run := func(required map[string]*fnv1.Resources) *fnv1.RunFunctionResponse {
		t.Helper()
		rsp, err := NewFunction(logging.NewNopLogger()).RunFunction(context.Background(), &fnv1.RunFunctionRequest{
			Meta:              &fnv1.RequestMeta{Tag: "hello"},
			Input:             input(),
			RequiredResources: required,
			Observed:          &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(xr)}},
		})
		if err != nil {
			t.Fatalf("f.RunFunction(...): %v", err)
		}
		return rsp
	}
	whole, split := run(required(catalog())), run(splitCatalog())
	if len(whole.GetResults()) != 0 || len(whole.GetDesired().GetResources()) == 0 {
		t.Fatalf("the catalog in one EnvironmentConfig should compose, got results %v", whole.GetResults())
	}
	if diff := cmp.Diff(whole, split, protocmp.Transform()); diff != "" {
		t.Errorf("the lists of several EnvironmentConfigs should be merged into one catalog, whatever the order core lists them in: -one EnvironmentConfig, +split:\n%s", diff)
	}
}
