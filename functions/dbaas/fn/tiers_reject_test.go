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
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// TestRejectTiers checks that every choice the catalog does not offer, or
// offers but not together, is a Fatal that lists the accepted values, with
// nothing composed.
func TestRejectTiers(t *testing.T) {
	type args struct {
		catalog func(c *v1beta1.Catalog)
		xr      *structpb.Struct
	}
	type want struct {
		msg string
	}

	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"FlavorOfAnotherEngine": {
			reason: "A flavor of another engine should be fatal and list the engine's flavors.",
			args: args{
				catalog: func(c *v1beta1.Catalog) {
					c.Engines = append(c.Engines, v1beta1.Engine{Name: "mysql", Versions: []string{"8.0"}, DefaultVersion: "8.0"})
					c.Flavors = append(c.Flavors, v1beta1.Flavor{Name: "mysql-plain", Engine: "mysql"})
				},
				xr: tierXR("dev", "local", "mysql-plain"),
			},
			want: want{msg: `spec.flavor "mysql-plain" is a flavor of engine mysql, not of postgresql: accepted values are plain, postgis, vector`},
		},
		"UnknownFlavor": {
			reason: "A flavor the catalog does not offer should be fatal and list the engine's flavors.",
			args:   args{xr: tierXR("dev", "local", "timescale")},
			want:   want{msg: `spec.flavor "timescale" is not offered for engine postgresql: accepted values are plain, postgis, vector`},
		},
		"FlavorRequired": {
			reason: "A Database naming no flavor of an engine with flavors but no default should be fatal and list the flavors.",
			args: args{
				catalog: func(c *v1beta1.Catalog) { c.Engines[0].DefaultFlavor = "" },
				xr:      tierXR("dev", "local", ""),
			},
			want: want{msg: `spec.flavor is required for engine postgresql, which has no default flavor: accepted values are plain, postgis, vector`},
		},
		"TierNotAllowed": {
			reason: "A tier the environment forbids should be fatal and list the tiers it allows.",
			args:   args{xr: tierXR("dev", "gcp", "")},
			want:   want{msg: `spec.tier "dev" is not allowed in environment gcp: accepted values are ha, standard`},
		},
		"SharedWithoutServer": {
			reason: "A shared tier where the environment names no shared server should be fatal and list the tiers it offers.",
			args:   args{xr: tierXR("shared", "gcp", "")},
			want:   want{msg: `spec.tier "shared" needs a shared server, which environment gcp does not name: accepted values are ha, standard`},
		},
		"MalformedPrice": {
			reason: "A price that is not a decimal should be fatal and name the environment and the field.",
			args: args{
				catalog: func(c *v1beta1.Catalog) { c.Environments[3].Pricing.StorageGB = "0,17" },
				xr:      tierXR("ha", "gcp", ""),
			},
			want: want{msg: `the platform catalog (the EnvironmentConfigs labelled dbaas.io/catalog=default) is malformed: EnvironmentConfig catalog: data.environments[gcp].pricing.storageGB: Invalid value: "0,17": must be a non-negative decimal in quotes, such as "12.50"`},
		},
		"MalformedSKUPrice": {
			reason: "A SKU's price that is not a decimal should be fatal and name the SKU.",
			args: args{
				catalog: func(c *v1beta1.Catalog) { c.Environments[3].Pricing.SKUs["small"] = "-24" },
				xr:      tierXR("ha", "gcp", ""),
			},
			want: want{msg: `the platform catalog (the EnvironmentConfigs labelled dbaas.io/catalog=default) is malformed: EnvironmentConfig catalog: data.environments[gcp].pricing.skus[small]: Invalid value: "-24": must be a non-negative decimal in quotes, such as "12.50"`},
		},
		"UnknownEngineSkipsFlavor": {
			reason: "The flavor of an unknown engine cannot be checked, so only the engine should be reported.",
			args:   args{xr: withSpec(map[string]any{"engine": "oracle", "flavor": "plain"})},
			want:   want{msg: `spec.engine "oracle" is not offered: accepted values are postgresql`},
		},
		"AllAtOnce": {
			reason: "Every problem should be reported in one message: each field's in the order of the spec, then the tier the environment does not allow.",
			args:   args{xr: withSpec(map[string]any{"flavor": "timescale", "tier": "dev", "sku": "huge", "environment": "azure"})},
			want: want{msg: `spec.flavor "timescale" is not offered for engine postgresql: accepted values are plain, postgis, vector; ` +
				`spec.sku "huge" is not offered: accepted values are medium, small; ` +
				`spec.tier "dev" is not allowed in environment azure: accepted values are ha, shared, standard`},
		},
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := tiersCatalog()
			if tc.args.catalog != nil {
				tc.args.catalog(c)
			}
			rsp := runTiers(t, c, tc.args.xr, nil)
			if diff := cmp.Diff(fatal(tc.want.msg), rsp, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nf.RunFunction(...): -want rsp, +got rsp:\n%s", tc.reason, diff)
			}
		})
	}
}
