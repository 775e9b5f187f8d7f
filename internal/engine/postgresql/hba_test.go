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
		want   []string
	}{
		"Postgres": {
			reason: "Over TCP only hostssl rules let anyone in; the admin account only from the provider's address, rejected from anywhere else before the applications' rule",
			admin:  "postgres",
			want: []string{
				"local all all peer",
				"hostssl all postgres 127.0.0.1/32 scram-sha-256",
				"host all postgres all reject",
				"hostssl replication dbaas_replication 127.0.0.1/32 scram-sha-256",
				"hostssl all all 127.0.0.0/8 scram-sha-256",
			},
		},
		"QuotedAdmin": {
			reason: "An admin name that is not a plain identifier is double-quoted, so that it is never a keyword or two fields",
			admin:  `Ad"min all`,
			want: []string{
				"local all all peer",
				`hostssl all "Ad""min all" 127.0.0.1/32 scram-sha-256`,
				`host all "Ad""min all" all reject`,
				"hostssl replication dbaas_replication 127.0.0.1/32 scram-sha-256",
				"hostssl all all 127.0.0.0/8 scram-sha-256",
			},
		},
		"KeywordAdmin": {
			reason: "An admin named like a keyword is quoted, so that its reject rule does not reject everyone",
			admin:  "all",
			want: []string{
				"local all all peer",
				`hostssl all "all" 127.0.0.1/32 scram-sha-256`,
				`host all "all" all reject`,
				"hostssl replication dbaas_replication 127.0.0.1/32 scram-sha-256",
				"hostssl all all 127.0.0.0/8 scram-sha-256",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, l := range strings.Split(renderHBA(tc.admin), "\n") {
				if l == "" || strings.HasPrefix(l, "#") {
					continue
				}
				got = append(got, strings.Join(strings.Fields(l), " "))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nrenderHBA(%q): -want, +got:\n%s", tc.reason, tc.admin, diff)
			}
			for _, l := range got {
				if strings.HasPrefix(l, "host ") && !strings.HasSuffix(l, " reject") {
					t.Errorf("%s: a host rule that is not a reject lets plain text in: %q", tc.reason, l)
				}
			}
		})
	}
}
