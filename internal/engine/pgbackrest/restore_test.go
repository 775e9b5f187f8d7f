package pgbackrest

import (
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
)

func TestTargetArgs(t *testing.T) {
	type want struct {
		args []string
		err  error
	}
	at := time.Date(2026, 12, 6, 21, 30, 15, 123456789, time.FixedZone("CET", 3600))
	cases := map[string]struct {
		reason string
		t      Target
		want   want
	}{
		"Latest":    {reason: "No target replays all archived WAL.", t: Target{}, want: want{args: []string{"--type=default"}}},
		"Immediate": {reason: "Immediate stops where the backup is consistent, and promotes.", t: Target{Type: TargetImmediate}, want: want{args: []string{"--type=immediate", "--target-action=promote"}}},
		"Time": {
			reason: "A time target is written in UTC to the microsecond, and the server promotes there.",
			t:      Target{Type: TargetTime, Time: at},
			want:   want{args: []string{"--type=time", "--target=2026-12-06 20:30:15.123456+00", "--target-action=promote"}},
		},
		"ExclusiveLSNFromSet": {
			reason: "An exclusive LSN target from a named backup.",
			t:      Target{Type: TargetLSN, LSN: "0/3000028", Exclusive: true, Set: "20261206-201500F_20261206-202000I"},
			want:   want{args: []string{"--set=20261206-201500F_20261206-202000I", "--type=lsn", "--target=0/3000028", "--target-action=promote", "--target-exclusive"}},
		},
		"XID":             {reason: "A transaction target.", t: Target{Type: TargetXID, XID: "742"}, want: want{args: []string{"--type=xid", "--target=742", "--target-action=promote"}}},
		"Name":            {reason: "A restore point.", t: Target{Type: TargetName, Name: "before upgrade"}, want: want{args: []string{"--type=name", "--target=before upgrade", "--target-action=promote"}}},
		"TimeMissing":     {reason: "A time target needs its time.", t: Target{Type: TargetTime}, want: want{err: errors.New(errTargetTime)}},
		"BadLSN":          {reason: "An LSN is two hexadecimal halves.", t: Target{Type: TargetLSN, LSN: "0/x; rm"}, want: want{err: errors.Errorf(errTargetLSN, "0/x; rm")}},
		"BadXID":          {reason: "An XID is a number.", t: Target{Type: TargetXID, XID: "-1"}, want: want{err: errors.Errorf(errTargetXID, "-1")}},
		"NameNewline":     {reason: "A restore point's name cannot break a line of postgresql.auto.conf.", t: Target{Type: TargetName, Name: "a\nb"}, want: want{err: errors.Errorf(errTargetName, "a\nb")}},
		"ExclusiveName":   {reason: "PostgreSQL has no exclusive restore points.", t: Target{Type: TargetName, Name: "p", Exclusive: true}, want: want{err: errors.New(errExclusive)}},
		"ExclusiveLatest": {reason: "The end of the WAL cannot be exclusive.", t: Target{Exclusive: true}, want: want{err: errors.New(errExclusive)}},
		"UnknownType":     {reason: "Only PostgreSQL's target types.", t: Target{Type: "timeline"}, want: want{err: errors.Errorf(errTargetType, "timeline")}},
		"LabelNotALabel":  {reason: "A set is a pgBackRest label, never an option.", t: Target{Set: "--repo=2"}, want: want{err: errors.Errorf(errLabel, "--repo=2")}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := tc.t.args()
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nargs(): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.args, got); diff != "" {
				t.Errorf("%s\nargs(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
