package postgresql

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRenderHBA(t *testing.T) {
	cases := map[string]struct {
		reason string
		admin  string
		peers  []string
		apps   []string
		want   []string
	}{
		"Postgres": {
			reason: "Over the socket the admin account comes in through the map before the peer line for everyone can catch it; over TCP only hostssl rules let anyone in, and never the admin account, whose reject rules come before every other host rule",
			admin:  "postgres",
			want: []string{
				"local all postgres peer map=dbaas",
				"local all dbaas_monitor peer map=dbaas",
				"local all all peer",
				"host all postgres all reject",
				"host replication postgres all reject",
				"host all dbaas_monitor all reject",
				"hostssl all dbaas_admin 127.0.0.1/32 scram-sha-256",
				"hostssl replication dbaas_replication 127.0.0.1/32 scram-sha-256",
				"hostssl postgres dbaas_rewind 127.0.0.1/32 scram-sha-256",
				"host all dbaas_rewind all reject",
				"hostssl all all 127.0.0.0/8 scram-sha-256",
			},
		},
		"Peers": {
			reason: "dbaas_admin, replicas and pg_rewind come in from the peers as well; the superuser from none of them",
			admin:  "postgres",
			peers:  []string{"10.0.0.2/32", "10.1.0.0/24"},
			want: []string{
				"local all postgres peer map=dbaas",
				"local all dbaas_monitor peer map=dbaas",
				"local all all peer",
				"host all postgres all reject",
				"host replication postgres all reject",
				"host all dbaas_monitor all reject",
				"hostssl all dbaas_admin 127.0.0.1/32 scram-sha-256",
				"hostssl all dbaas_admin 10.0.0.2/32 scram-sha-256",
				"hostssl all dbaas_admin 10.1.0.0/24 scram-sha-256",
				"hostssl replication dbaas_replication 127.0.0.1/32 scram-sha-256",
				"hostssl replication dbaas_replication 10.0.0.2/32 scram-sha-256",
				"hostssl replication dbaas_replication 10.1.0.0/24 scram-sha-256",
				"hostssl postgres dbaas_rewind 127.0.0.1/32 scram-sha-256",
				"hostssl postgres dbaas_rewind 10.0.0.2/32 scram-sha-256",
				"hostssl postgres dbaas_rewind 10.1.0.0/24 scram-sha-256",
				"host all dbaas_rewind all reject",
				"hostssl all all 127.0.0.0/8 scram-sha-256",
			},
		},
		"VMApplications": {
			reason: "On a VM applications come in from anywhere with TLS; the superuser from nowhere, rejected before the applications' rules",
			admin:  "postgres",
			peers:  []string{"10.0.0.1/32"},
			apps:   []string{"0.0.0.0/0", "::/0"},
			want: []string{
				"local all postgres peer map=dbaas",
				"local all dbaas_monitor peer map=dbaas",
				"local all all peer",
				"host all postgres all reject",
				"host replication postgres all reject",
				"host all dbaas_monitor all reject",
				"hostssl all dbaas_admin 127.0.0.1/32 scram-sha-256",
				"hostssl all dbaas_admin 10.0.0.1/32 scram-sha-256",
				"hostssl replication dbaas_replication 127.0.0.1/32 scram-sha-256",
				"hostssl replication dbaas_replication 10.0.0.1/32 scram-sha-256",
				"hostssl postgres dbaas_rewind 127.0.0.1/32 scram-sha-256",
				"hostssl postgres dbaas_rewind 10.0.0.1/32 scram-sha-256",
				"host all dbaas_rewind all reject",
				"hostssl all all 0.0.0.0/0 scram-sha-256",
				"hostssl all all ::/0 scram-sha-256",
			},
		},
		"ProviderIPv6": {
			reason: "An IPv6 provider address is one host too",
			admin:  "postgres",
			peers:  []string{"fd00::1/128"},
			apps:   []string{"0.0.0.0/0", "::/0"},
			want: []string{
				"local all postgres peer map=dbaas",
				"local all dbaas_monitor peer map=dbaas",
				"local all all peer",
				"host all postgres all reject",
				"host replication postgres all reject",
				"host all dbaas_monitor all reject",
				"hostssl all dbaas_admin 127.0.0.1/32 scram-sha-256",
				"hostssl all dbaas_admin fd00::1/128 scram-sha-256",
				"hostssl replication dbaas_replication 127.0.0.1/32 scram-sha-256",
				"hostssl replication dbaas_replication fd00::1/128 scram-sha-256",
				"hostssl postgres dbaas_rewind 127.0.0.1/32 scram-sha-256",
				"hostssl postgres dbaas_rewind fd00::1/128 scram-sha-256",
				"host all dbaas_rewind all reject",
				"hostssl all all 0.0.0.0/0 scram-sha-256",
				"hostssl all all ::/0 scram-sha-256",
			},
		},
		"QuotedAdmin": {
			reason: "An admin name that is not a plain identifier is double-quoted, so that it is never a keyword or two fields",
			admin:  `Ad"min all`,
			want: []string{
				`local all "Ad""min all" peer map=dbaas`,
				"local all dbaas_monitor peer map=dbaas",
				"local all all peer",
				`host all "Ad""min all" all reject`,
				`host replication "Ad""min all" all reject`,
				"host all dbaas_monitor all reject",
				"hostssl all dbaas_admin 127.0.0.1/32 scram-sha-256",
				"hostssl replication dbaas_replication 127.0.0.1/32 scram-sha-256",
				"hostssl postgres dbaas_rewind 127.0.0.1/32 scram-sha-256",
				"host all dbaas_rewind all reject",
				"hostssl all all 127.0.0.0/8 scram-sha-256",
			},
		},
		"KeywordAdmin": {
			reason: "An admin named like a keyword is quoted, so that its reject rule does not reject everyone",
			admin:  "all",
			want: []string{
				`local all "all" peer map=dbaas`,
				"local all dbaas_monitor peer map=dbaas",
				"local all all peer",
				`host all "all" all reject`,
				`host replication "all" all reject`,
				"host all dbaas_monitor all reject",
				"hostssl all dbaas_admin 127.0.0.1/32 scram-sha-256",
				"hostssl replication dbaas_replication 127.0.0.1/32 scram-sha-256",
				"hostssl postgres dbaas_rewind 127.0.0.1/32 scram-sha-256",
				"host all dbaas_rewind all reject",
				"hostssl all all 127.0.0.0/8 scram-sha-256",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, l := range strings.Split(renderHBA(tc.admin, tc.peers, tc.apps), "\n") {
				if l == "" || strings.HasPrefix(l, "#") {
					continue
				}
				got = append(got, strings.Join(strings.Fields(l), " "))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nrenderHBA(%q): -want, +got:\n%s", tc.reason, tc.admin, diff)
			}
			firstHost := true
			for _, l := range got {
				if strings.HasPrefix(l, "host ") && !strings.HasSuffix(l, " reject") {
					t.Errorf("%s: a host rule that is not a reject lets plain text in: %q", tc.reason, l)
				}
				if strings.HasPrefix(l, "host") && firstHost {
					firstHost = false
					if want := "host all " + hbaName(tc.admin) + " all reject"; l != want {
						t.Errorf("%s: the first host rule is %q; want the superuser's reject %q", tc.reason, l, want)
					}
				}
			}
		})
	}
}

func TestHBANetworks(t *testing.T) {
	cases := map[string]struct {
		reason  string
		peers   []string
		want    []string
		wantErr bool
	}{
		"AddressesAndCIDRs": {
			reason: "An address is a network of that one address; a CIDR is normalized",
			peers:  []string{"10.0.0.2", "10.1.0.7/24", "fd00::1"},
			want:   []string{"10.0.0.2/32", "10.1.0.0/24", "fd00::1/128"},
		},
		"Keyword": {
			reason:  "A peer that is not an address would add a keyword or a field to pg_hba.conf",
			peers:   []string{"all"},
			wantErr: true,
		},
		"Fields": {
			reason:  "A peer with spaces would add fields to pg_hba.conf",
			peers:   []string{"10.0.0.2 trust"},
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := hbaNetworks(tc.peers)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nhbaNetworks(%q): want error %v, got %v", tc.reason, tc.peers, tc.wantErr, err)
			}
			if diff := cmp.Diff(tc.want, got); !tc.wantErr && diff != "" {
				t.Errorf("%s\nhbaNetworks(%q): -want, +got:\n%s", tc.reason, tc.peers, diff)
			}
		})
	}
}
