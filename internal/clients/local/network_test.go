package local

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/hostnet"
)

func TestNewNetwork(t *testing.T) {
	cases := map[string]struct {
		reason     string
		in         apisv1alpha1.LocalNetwork
		wantErr    bool
		wantPrefix string
		wantBridge string
		// wantAliases are the lines the hosts' /etc/hosts gets.
		wantAliases []hostnet.HostsEntry
	}{
		"Masked": {
			reason:     "A CIDR with host bits is the subnet it names, and a bridge named in the config is used.",
			in:         apisv1alpha1.LocalNetwork{CIDR: "10.200.3.7/24", Bridge: "hosts0"},
			wantPrefix: "10.200.3.0/24",
			wantBridge: "hosts0",
		},
		"DerivedBridge": {
			reason:     "Without a bridge name, one derived from the subnet, short enough for Linux, is used.",
			in:         apisv1alpha1.LocalNetwork{CIDR: "10.200.3.0/24"},
			wantPrefix: "10.200.3.0/24",
			wantBridge: "dbbr" + shortHash("10.200.3.0/24", 8),
		},
		"IPv6": {
			reason:  "Hosts are addressed over IPv4 only.",
			in:      apisv1alpha1.LocalNetwork{CIDR: "fd00::/64"},
			wantErr: true,
		},
		"TooSmall": {
			reason:  "A /31 leaves no address for a host beside the gateway.",
			in:      apisv1alpha1.LocalNetwork{CIDR: "10.200.3.0/31"},
			wantErr: true,
		},
		"HostAliases": {
			reason:      "Host aliases become entries of the hosts' /etc/hosts.",
			in:          apisv1alpha1.LocalNetwork{CIDR: "10.200.3.0/24", HostAliases: []apisv1alpha1.HostAlias{{IP: "10.200.3.1", Hostnames: []string{"s3.dbaas.test"}}}},
			wantPrefix:  "10.200.3.0/24",
			wantBridge:  "dbbr" + shortHash("10.200.3.0/24", 8),
			wantAliases: []hostnet.HostsEntry{{Addr: netip.MustParseAddr("10.200.3.1"), Names: []string{"s3.dbaas.test"}}},
		},
		"HostAliasIPv6": {
			reason:  "A host alias's address is IPv4, as the hosts' network is.",
			in:      apisv1alpha1.LocalNetwork{CIDR: "10.200.3.0/24", HostAliases: []apisv1alpha1.HostAlias{{IP: "fd00::1", Hostnames: []string{"store"}}}},
			wantErr: true,
		},
		"HostAliasLine": {
			reason:  "A host alias that would add a line to a file root writes is refused, even past the CRD.",
			in:      apisv1alpha1.LocalNetwork{CIDR: "10.200.3.0/24", HostAliases: []apisv1alpha1.HostAlias{{IP: "10.200.3.1", Hostnames: []string{"store\n10.0.0.1 bank"}}}},
			wantErr: true,
		},
		"NotACIDR": {
			reason:  "An address without a prefix length is no subnet.",
			in:      apisv1alpha1.LocalNetwork{CIDR: "10.200.3.0"},
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			n, err := newNetwork(&tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nnewNetwork(%+v): error %v, want error %t", tc.reason, tc.in, err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if n.prefix.String() != tc.wantPrefix || n.bridge != tc.wantBridge || len(n.bridge) > hostnet.MaxLinkName {
				t.Errorf("%s\nnewNetwork(%+v): got %s on %q, want %s on %q", tc.reason, tc.in, n.prefix, n.bridge, tc.wantPrefix, tc.wantBridge)
			}
			if diff := cmp.Diff(tc.wantAliases, n.aliases, cmpopts.EquateEmpty(), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("%s\nnewNetwork(%+v) aliases: -want, +got:\n%s", tc.reason, tc.in, diff)
			}
		})
	}
}

func TestFreeAddress(t *testing.T) {
	cases := map[string]struct {
		reason  string
		cidr    string
		taken   []string
		want    string
		wantErr bool
	}{
		"First": {
			reason: "The first host gets the address after the gateway.",
			cidr:   "10.200.3.0/24",
			want:   "10.200.3.2",
		},
		"Gap": {
			reason: "An address freed by a deleted machine is used again.",
			cidr:   "10.200.3.0/24",
			taken:  []string{"10.200.3.3", "10.200.3.4"},
			want:   "10.200.3.2",
		},
		"Next": {
			reason: "Addresses of other machines are skipped.",
			cidr:   "10.200.3.0/24",
			taken:  []string{"10.200.3.2", "10.200.3.3"},
			want:   "10.200.3.4",
		},
		"Full": {
			reason:  "A /30 holds the gateway and one host; the broadcast address is no host's.",
			cidr:    "10.200.3.0/30",
			taken:   []string{"10.200.3.2"},
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			n := &network{prefix: netip.MustParsePrefix(tc.cidr)}
			taken := map[string]bool{}
			for _, a := range tc.taken {
				taken[a] = true
			}
			got, err := n.freeAddress(taken)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nfreeAddress: error %v, want error %t", tc.reason, err, tc.wantErr)
			}
			if err == nil && got.String() != tc.want {
				t.Errorf("%s\nfreeAddress: got %s, want %s", tc.reason, got, tc.want)
			}
		})
	}
}

func TestNamespaceOf(t *testing.T) {
	a := namespaceOf("/var/lib/dbaas/machines/a-very-long-namespace-name/a-very-long-machine-name")
	b := namespaceOf("/var/lib/dbaas/machines/a-very-long-namespace-name/another-machine")
	if len(a) > hostnet.MaxLinkName || !strings.HasPrefix(a, "dbvm") {
		t.Errorf("namespaceOf: got %q, want a name of at most %d characters starting dbvm", a, hostnet.MaxLinkName)
	}
	if a == b {
		t.Errorf("namespaceOf gives two machines the same namespace %q", a)
	}
	if again := namespaceOf("/var/lib/dbaas/machines/a-very-long-namespace-name/a-very-long-machine-name"); again != a {
		t.Errorf("namespaceOf is not stable: %q, then %q", a, again)
	}
}
