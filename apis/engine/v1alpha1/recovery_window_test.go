package v1alpha1

import (
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestRecoveryWindowAdmits(t *testing.T) {
	at := func(s string) *metav1.Time {
		t, _ := time.Parse(time.RFC3339, s)
		return &metav1.Time{Time: t}
	}
	full := &RecoveryWindow{FirstRecoverabilityPoint: at("2026-12-07T10:00:00Z"), LastArchivedTime: at("2026-12-07T11:00:00Z"), LastArchivedWAL: "00000001000000000000000A"}
	cases := map[string]struct {
		reason  string
		w       *RecoveryWindow
		t       string
		want    error
		wantMsg string
	}{
		"Inside":    {reason: "A time between the oldest backup's end and the last archived WAL is admitted.", w: full, t: "2026-12-07T10:30:00Z"},
		"AtStart":   {reason: "The oldest backup's end is in the window.", w: full, t: "2026-12-07T10:00:00Z"},
		"AtEnd":     {reason: "The last archived time is in the window.", w: full, t: "2026-12-07T11:00:00Z"},
		"NoWindow":  {reason: "An instance without a window has no backup to start from.", t: "2026-12-07T10:30:00Z", want: ErrNoBackupYet, wantMsg: "team-a/orders has no completed backup yet: a restore starts from one"},
		"NoBackup":  {reason: "A window without a first point has no backup to start from.", w: &RecoveryWindow{LastArchivedTime: at("2026-12-07T11:00:00Z")}, t: "2026-12-07T10:30:00Z", want: ErrNoBackupYet},
		"Before":    {reason: "A time before the oldest backup's end cannot be reached.", w: full, t: "2026-12-07T09:59:59Z", want: ErrBeforeWindow, wantMsg: "2026-12-07T09:59:59Z is before the recovery window of team-a/orders, which starts at 2026-12-07T10:00:00Z (the end of the oldest backup in its store)"},
		"After":     {reason: "A time after the last archived WAL cannot be reached yet.", w: full, t: "2026-12-07T11:00:01Z", want: ErrAfterWindow, wantMsg: "2026-12-07T11:00:01Z is after the recovery window of team-a/orders, which ends at 2026-12-07T11:00:00Z (its last archived WAL, 00000001000000000000000A)"},
		"NoArchive": {reason: "A window that records no archived time refuses every time, saying so: nothing says the archive reaches it.", w: &RecoveryWindow{FirstRecoverabilityPoint: at("2026-12-07T10:00:00Z")}, t: "2026-12-07T10:30:00Z", want: ErrNoArchivedTime, wantMsg: "2026-12-07T10:30:00Z cannot be placed in the recovery window of team-a/orders: no archived WAL is recorded yet (status.atProvider.recoveryWindow.lastArchivedTime is unset), and a restore to a time needs the archive to reach past it"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			when, err := time.Parse(time.RFC3339, tc.t)
			if err != nil {
				t.Fatal(err)
			}
			got := tc.w.Admits(when, "team-a/orders")
			if !errors.Is(got, tc.want) || (tc.want == nil) != (got == nil) {
				t.Fatalf("%s\nAdmits(%s): want %v, got %v", tc.reason, tc.t, tc.want, got)
			}
			if tc.wantMsg != "" && got.Error() != tc.wantMsg {
				t.Errorf("%s\nAdmits(%s):\nwant %q\ngot  %q", tc.reason, tc.t, tc.wantMsg, got.Error())
			}
		})
	}
}
