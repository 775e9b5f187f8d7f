package pgbackrest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/testing/exectest"
)

func TestLastError(t *testing.T) {
	cases := map[string]struct {
		reason string
		log    string
		want   string
	}{
		"NoLog": {
			reason: "A stanza that never archived has no error to report.",
			log:    "",
			want:   "",
		},
		"OnlyInfo": {
			reason: "Segments that were pushed leave no error.",
			log:    "2026-12-06 23:50:01.123 P00   INFO: archive-push command begin 2.45\n2026-12-06 23:50:01.200 P00   INFO: pushed WAL file '000000010000000000000003' to the archive\n",
			want:   "",
		},
		"LastOfTwo": {
			reason: "The newest error is the one that says why archiving fails now.",
			log: "2026-12-06 23:50:01.123 P00  ERROR: [049]: old cause\n" +
				"2026-12-06 23:50:02.000 P00   INFO: archive-push command begin 2.45\n" +
				"2026-12-06 23:50:03.000 P00  ERROR: [039]: HTTP request failed with 503\n" +
				"                                    *** Try again later ***\n" +
				"-------------------PROCESS START-------------------\n" +
				"2026-12-06 23:50:04.000 P00   WARN: a warning\n",
			want: "[039]: HTTP request failed with 503 *** Try again later ***",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, lastError(tc.log)); diff != "" {
				t.Errorf("%s\nlastError(...): -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestStanzaCA(t *testing.T) {
	i := postgresql.NewInstance(&exectest.Recorder{}, "/m", "db", "15", 5432, "postgres")
	cases := map[string]struct {
		reason string
		repo   Repo
		ca     []byte
		want   string
	}{
		"S3WithCA": {
			reason: "An S3 store's own CA is written beside pgbackrest.conf, which names it.",
			repo:   func() Repo { r := s3Repo(); r.S3.CAFile = ""; return r }(),
			ca:     []byte("PEM"),
			want:   "/m/postgresql/db/pgbackrest/ns.db/ca.crt",
		},
		"S3WithoutCA": {
			reason: "Without a CA of its own the machine's trusted CAs verify the endpoint.",
			repo:   func() Repo { r := s3Repo(); r.S3.CAFile = ""; return r }(),
			want:   "",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := New(i, "ns.db", tc.repo)
			s.CA = tc.ca
			if diff := cmp.Diff(tc.want, s.Config().Repo.S3.CAFile); diff != "" {
				t.Errorf("%s\nConfig().Repo.S3.CAFile: -want +got:\n%s", tc.reason, diff)
			}
			if tc.repo.S3.CAFile != "" {
				t.Errorf("%s\nConfig changed the caller's repository", tc.reason)
			}
		})
	}
}
