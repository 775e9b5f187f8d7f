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
	"regexp"
	"strings"
	"testing"
)

// dnsLabel is the pattern the VirtualMachine CRD checks vsphere.antiAffinityGroup with.
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

func TestAffinityGroup(t *testing.T) {
	long := strings.Repeat("a", 60)
	cases := map[string]struct {
		reason string
		t      target
		want   string
	}{
		"Short": {
			reason: "A database's group should be its namespace and name.",
			t:      target{Namespace: "team-a", XRName: "orders"},
			want:   "team-a-orders",
		},
		"Dotted": {
			reason: "Dots of a resource name should become dashes, which a DNS label allows.",
			t:      target{Namespace: "team-a", XRName: "orders.v2"},
			want:   "team-a-orders-v2",
		},
		"Long": {
			reason: "A name too long for a DNS label should keep its start and end in a hash of the whole.",
			t:      target{Namespace: "team-a", XRName: long},
			want:   "team-a-" + strings.Repeat("a", 47) + "-" + "HASH",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := affinityGroup(tc.t)
			if !dnsLabel.MatchString(got) {
				t.Errorf("%s\naffinityGroup(%+v) = %q, not a DNS label", tc.reason, tc.t, got)
			}
			want := tc.want
			if strings.HasSuffix(want, "HASH") {
				want = strings.TrimSuffix(want, "HASH") + got[len(got)-8:]
			}
			if got != want {
				t.Errorf("%s\naffinityGroup(%+v) = %q, want %q", tc.reason, tc.t, got, want)
			}
		})
	}

	// Two long names that differ only past the cut must not share a rule.
	a := affinityGroup(target{Namespace: "team-a", XRName: long + "-x"})
	b := affinityGroup(target{Namespace: "team-a", XRName: long + "-y"})
	if a == b {
		t.Errorf("two databases whose names differ past the cut share the group %q", a)
	}
	// Neither may two namespaces' databases.
	if affinityGroup(target{Namespace: "team-a", XRName: "db"}) == affinityGroup(target{Namespace: "team-b", XRName: "db"}) {
		t.Error("databases of two namespaces share a group")
	}
}
