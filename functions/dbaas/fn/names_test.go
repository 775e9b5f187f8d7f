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
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDatabaseName(t *testing.T) {
	type args struct {
		spec      spec
		claimName string
	}
	type want struct {
		database string
		role     string
	}

	long := strings.Repeat("a", 70)

	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"Explicit": {
			reason: "A databaseName in the spec should be used as it is.",
			args:   args{spec: spec{DatabaseName: "shop"}, claimName: "orders"},
			want:   want{database: "shop", role: "shop_app"},
		},
		"PlainClaimName": {
			reason: "A claim name that is already an identifier should be used as it is.",
			args:   args{claimName: "orders"},
			want:   want{database: "orders", role: "orders_app"},
		},
		"Dashes": {
			reason: "Dashes should become underscores so that words stay apart.",
			args:   args{claimName: "order-history-v2"},
			want:   want{database: "order_history_v2", role: "order_history_v2_app"},
		},
		"DotsAndUpperCase": {
			reason: "Characters outside [a-z0-9_] should be dropped after lower-casing.",
			args:   args{claimName: "Shop.EU-west"},
			want:   want{database: "shopeu_west", role: "shopeu_west_app"},
		},
		"LeadingDigit": {
			reason: "A name starting with a digit should get a db_ prefix.",
			args:   args{claimName: "2024-report"},
			want:   want{database: "db_2024_report", role: "db_2024_report_app"},
		},
		"NothingLeft": {
			reason: "A name with no usable character should become db_.",
			args:   args{claimName: "..."},
			want:   want{database: "db_", role: "db__app"},
		},
		"Empty": {
			reason: "An empty name should become db_.",
			args:   args{claimName: ""},
			want:   want{database: "db_", role: "db__app"},
		},
		"TooLong": {
			reason: "A derived name should be cut to 63 characters, and the role to 59 plus _app.",
			args:   args{claimName: long},
			want:   want{database: long[:63], role: long[:59] + "_app"},
		},
		"TooLongWithPrefix": {
			reason: "The db_ prefix should count towards the 63 characters.",
			args:   args{claimName: "1" + long},
			want:   want{database: ("db_1" + long)[:63], role: ("db_1" + long)[:59] + "_app"},
		},
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			db := databaseName(tc.args.spec, tc.args.claimName)
			got := want{database: db, role: roleName(db)}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\ndatabaseName(...), roleName(...): -want, +got:\n%s", tc.reason, diff)
			}
			if len(got.database) > maxIdentifierLength || len(got.role) > maxIdentifierLength {
				t.Errorf("%s\nnames longer than %d: %q, %q", tc.reason, maxIdentifierLength, got.database, got.role)
			}
		})
	}
}
