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

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

func TestEstimate(t *testing.T) {
	single := v1beta1.Tier{Name: "dev", Topology: v1beta1.TopologySingle, Members: 1}
	ha := v1beta1.Tier{Name: "ha", Topology: v1beta1.TopologyPrimary, Members: 3}
	shared := v1beta1.Tier{Name: "shared", Topology: v1beta1.TopologyShared}
	small := v1beta1.SKU{Name: "small"}
	priced := func(skus map[string]v1beta1.Price, storage v1beta1.Price) v1beta1.Environment {
		return v1beta1.Environment{Name: "gcp", Pricing: &v1beta1.Pricing{Currency: "EUR", SKUs: skus, StorageGB: storage}}
	}

	type args struct {
		s selection
	}
	type want struct {
		cost *cost
		err  error
	}

	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"NoPricing": {
			reason: "An environment without pricing should show no cost.",
			args:   args{s: selection{Tier: single, SKU: small, StorageGB: 10, Environment: v1beta1.Environment{Name: "local"}}},
			want:   want{},
		},
		"Single": {
			reason: "One member should cost its SKU and its storage, written with two decimals.",
			args:   args{s: selection{Tier: single, SKU: small, StorageGB: 10, Environment: priced(map[string]v1beta1.Price{"small": "20"}, "0.5")}},
			want:   want{cost: &cost{Amount: "25.00", Currency: "EUR"}},
		},
		"Members": {
			reason: "Every member should cost its SKU and its own storage.",
			args:   args{s: selection{Tier: ha, SKU: small, StorageGB: 20, Environment: priced(map[string]v1beta1.Price{"small": "24.30"}, "0.17")}},
			want:   want{cost: &cost{Amount: "83.10", Currency: "EUR"}},
		},
		"Exact": {
			reason: "Decimals should add exactly: three times 0.1 is 0.30, not 0.30000000000000004.",
			args:   args{s: selection{Tier: ha, SKU: small, StorageGB: 1, Environment: priced(map[string]v1beta1.Price{"small": "0"}, "0.1")}},
			want:   want{cost: &cost{Amount: "0.30", Currency: "EUR"}},
		},
		"Precise": {
			reason: "A price with more decimals should keep them all, not be rounded.",
			args:   args{s: selection{Tier: single, SKU: small, StorageGB: 3, Environment: priced(map[string]v1beta1.Price{"small": "0"}, "0.0045")}},
			want:   want{cost: &cost{Amount: "0.0135", Currency: "EUR"}},
		},
		"Shared": {
			reason: "A shared database should cost its storage only: it has no machine of its own.",
			args:   args{s: selection{Tier: shared, SKU: small, StorageGB: 20, Environment: priced(nil, "0.115")}},
			want:   want{cost: &cost{Amount: "2.300", Currency: "EUR"}},
		},
		"NoSKUPrice": {
			reason: "An environment with no price for the SKU should show no cost rather than a wrong one.",
			args:   args{s: selection{Tier: single, SKU: small, StorageGB: 10, Environment: priced(map[string]v1beta1.Price{"large": "80"}, "0.1")}},
			want:   want{},
		},
		"NoStoragePrice": {
			reason: "Storage without a price should be free.",
			args:   args{s: selection{Tier: ha, SKU: small, StorageGB: 10, Environment: priced(map[string]v1beta1.Price{"small": "9.99"}, "")}},
			want:   want{cost: &cost{Amount: "29.97", Currency: "EUR"}},
		},
		"MalformedPrice": {
			reason: "A price that is not a plain decimal should be an error naming the environment and the field.",
			args:   args{s: selection{Tier: single, SKU: small, StorageGB: 10, Environment: priced(map[string]v1beta1.Price{"small": "1e3"}, "0.1")}},
			want:   want{err: errors.Errorf(errPriceFmt, "gcp", "skus[small]", "1e3")},
		},
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := estimate(tc.args.s)
			if diff := cmp.Diff(tc.want.cost, got); diff != "" {
				t.Errorf("%s\nestimate(...): -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nestimate(...): -want error, +got error:\n%s", tc.reason, diff)
			}
		})
	}
}
