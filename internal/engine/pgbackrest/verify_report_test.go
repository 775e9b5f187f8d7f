package pgbackrest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseVerify(t *testing.T) {
	// invalid is pgBackRest 2.45's report of a backup file whose bytes
	// flipped in a posix repository (as in TestVerified).
	const invalid = "stanza: pitr-posix\nstatus: error\n  backup: 20261206-204244F, status: invalid, total files checked: 967, total valid files: 966\n    checksum invalid: 1\n"
	cases := map[string]struct {
		reason string
		report string
		want   Verification
	}{
		"Empty": {
			reason: "Without --verbose a valid repository gives no report.",
			report: "",
			want:   Verification{},
		},
		"OneInvalid": {
			reason: "An invalid backup is named, with its detail lines.",
			report: invalid,
			want: Verification{Report: "stanza: pitr-posix\nstatus: error\n  backup: 20261206-204244F, status: invalid, total files checked: 967, total valid files: 966\n    checksum invalid: 1",
				Invalid: map[string]string{"20261206-204244F": "backup: 20261206-204244F, status: invalid, total files checked: 967, total valid files: 966\nchecksum invalid: 1"}},
		},
		"ValidBesideInvalid": {
			reason: "A backup listed as valid is not invalid, and the archive's lines belong to no backup.",
			report: "stanza: s\nstatus: error\n  archiveId: 15-1, total WAL checked: 4, total valid WAL: 4\n    missing: 0\n" +
				"  backup: 20261206-100000F, status: valid, total files checked: 9, total valid files: 9\n" +
				"  backup: 20261206-100000F_20261206-110000I, status: invalid, total files checked: 9, total valid files: 8\n    missing: 1\n",
			want: Verification{Report: "stanza: s\nstatus: error\n  archiveId: 15-1, total WAL checked: 4, total valid WAL: 4\n    missing: 0\n" +
				"  backup: 20261206-100000F, status: valid, total files checked: 9, total valid files: 9\n" +
				"  backup: 20261206-100000F_20261206-110000I, status: invalid, total files checked: 9, total valid files: 8\n    missing: 1",
				Invalid: map[string]string{"20261206-100000F_20261206-110000I": "backup: 20261206-100000F_20261206-110000I, status: invalid, total files checked: 9, total valid files: 8\nmissing: 1"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ParseVerify(tc.report)); diff != "" {
				t.Errorf("%s\nParseVerify(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
