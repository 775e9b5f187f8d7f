package pgbackrest

import (
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
)

// infoOutput has the shape of pgBackRest 2.45's `info --output=json`: a
// stanza upgraded from an older database (two archive entries), a full and
// an incremental backup, and a second stanza.
const infoOutput = `[
 {"archive":[
   {"database":{"id":1,"repo-key":1},"id":"14-1","max":"000000010000000000000009","min":"000000010000000000000001"},
   {"database":{"id":2,"repo-key":1},"id":"15-2","max":"00000001000000000000000F","min":"00000001000000000000000A"}],
  "backup":[
   {"archive":{"start":"00000001000000000000000B","stop":"00000001000000000000000B"},
    "backrest":{"format":5,"version":"2.45"},"database":{"id":2,"repo-key":1},"error":false,
    "info":{"delta":31000000,"repository":{"delta":4000000,"size":4000000},"size":31000000},
    "label":"20261206-201500F","lsn":{"start":"0/B000028","stop":"0/B000100"},"prior":null,"reference":null,
    "timestamp":{"start":1796588100,"stop":1796588105},"type":"full"},
   {"archive":{"start":"00000001000000000000000E","stop":"00000001000000000000000E"},
    "backrest":{"format":5,"version":"2.45"},"database":{"id":2,"repo-key":1},"error":true,
    "info":{"delta":90000,"repository":{"delta":8000,"size":4008000},"size":31090000},
    "label":"20261206-201500F_20261206-202000I","lsn":{"start":"0/E000028","stop":"0/E000138"},
    "prior":"20261206-201500F","reference":["20261206-201500F"],
    "timestamp":{"start":1796588400,"stop":1796588402},"type":"incr"}],
  "cipher":"aes-256-cbc","db":[{"id":1,"repo-key":1,"system-id":1,"version":"14"},{"id":2,"repo-key":1,"system-id":2,"version":"15"}],
  "name":"ns-db","repo":[{"cipher":"aes-256-cbc","key":1,"status":{"code":0,"message":"ok"}}],
  "status":{"code":0,"lock":{"backup":{"held":false}},"message":"ok"}},
 {"archive":[],"backup":[],"cipher":"none","db":[],"name":"other",
  "repo":[{"cipher":"none","key":1,"status":{"code":1,"message":"missing stanza path"}}],
  "status":{"code":1,"lock":{"backup":{"held":false}},"message":"missing stanza path"}}
]`

func TestParseInfo(t *testing.T) {
	type want struct {
		info Info
		err  error
	}
	cases := map[string]struct {
		reason string
		stanza string
		out    string
		want   want
	}{
		"Backups": {
			reason: "Backups come with their labels, types, priors, times, LSNs, WAL and sizes; the archive range is the current database's.",
			stanza: "ns-db",
			out:    infoOutput,
			want: want{info: Info{
				Status: 0, Message: "ok", WALMin: "00000001000000000000000A", WALMax: "00000001000000000000000F",
				Backups: []Backup{{
					Label: "20261206-201500F", Type: TypeFull,
					Start: time.Unix(1796588100, 0).UTC(), Stop: time.Unix(1796588105, 0).UTC(),
					StartLSN: "0/B000028", StopLSN: "0/B000100", StartWAL: "00000001000000000000000B", StopWAL: "00000001000000000000000B",
					Size: 31000000, Delta: 31000000, RepoSize: 4000000, RepoDelta: 4000000,
				}, {
					Label: "20261206-201500F_20261206-202000I", Type: TypeIncr, Prior: "20261206-201500F", Error: true,
					Start: time.Unix(1796588400, 0).UTC(), Stop: time.Unix(1796588402, 0).UTC(),
					StartLSN: "0/E000028", StopLSN: "0/E000138", StartWAL: "00000001000000000000000E", StopWAL: "00000001000000000000000E",
					Size: 31090000, Delta: 90000, RepoSize: 4008000, RepoDelta: 8000,
				}},
			}},
		},
		"Missing": {
			reason: "A stanza the repository lacks is reported with pgBackRest's status.",
			stanza: "other",
			out:    infoOutput,
			want:   want{info: Info{Status: 1, Message: "missing stanza path"}},
		},
		"AnnotatedWhileLocked": {
			reason: "A backup's annotations are read, and a held backup lock says a backup runs.",
			stanza: "s",
			out: `[{"name":"s","status":{"code":0,"lock":{"backup":{"held":true}},"message":"ok"},"archive":[],
			  "backup":[{"label":"20261206-232754F","type":"full","prior":null,"annotation":{"dbaas-backup-uid":"abc"},
			    "timestamp":{"start":1796599674,"stop":1796599687}}]}]`,
			want: want{info: Info{Message: "ok", BackupLocked: true, Backups: []Backup{{
				Label: "20261206-232754F", Type: TypeFull, Annotations: map[string]string{AnnotationKey: "abc"},
				Start: time.Unix(1796599674, 0).UTC(), Stop: time.Unix(1796599687, 0).UTC(),
			}}}},
		},
		"NotListed": {
			reason: "A stanza info does not show at all is an error.",
			stanza: "absent",
			out:    infoOutput,
			want:   want{err: errors.Errorf(errNoStanza, "absent")},
		},
		"NotJSON": {
			reason: "Output that is not JSON is an error.",
			stanza: "ns-db",
			out:    "WARN: something",
			want:   want{err: errors.Wrap(errors.New("invalid character 'W' looking for beginning of value"), errParseInfo)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseInfo(tc.stanza, []byte(tc.out))
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nparseInfo(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.info, got); diff != "" {
				t.Errorf("%s\nparseInfo(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestVerified(t *testing.T) {
	// invalid is pgBackRest 2.45's report of a backup file whose bytes
	// flipped in a posix repository.
	const invalid = "stanza: pitr-posix\nstatus: error\n  backup: 20261206-204244F, status: invalid, total files checked: 967, total valid files: 966\n    checksum invalid: 1\n"
	cases := map[string]struct {
		reason string
		report string
		want   error
	}{
		"Empty":   {reason: "Without --verbose a valid repository gives no report.", report: "", want: nil},
		"OK":      {reason: "A stanza whose status is ok is valid.", report: "stanza: s\nstatus: ok\n", want: nil},
		"Invalid": {reason: "An invalid backup fails, with the report.", report: invalid, want: errors.Errorf(errVerify, strings.TrimSpace(invalid))},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, verified(tc.report), test.EquateErrors()); diff != "" {
				t.Errorf("%s\nverified(...): -want error, +got error:\n%s", tc.reason, diff)
			}
		})
	}
}
