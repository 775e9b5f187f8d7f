package databaseinstance

import (
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
)

func TestCheckTarget(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	backups := []pgbackrest.Backup{
		{Label: "20261207-015950F", Stop: t0},
		{Label: "20261207-015950F_20261207-020950I", Stop: t0.Add(10 * time.Minute)},
	}
	at := func(d time.Duration) pgbackrest.Target {
		return pgbackrest.Target{Type: pgbackrest.TargetTime, Time: t0.Add(d)}
	}
	archived := t0.Add(20 * time.Minute)
	now := t0.Add(time.Hour)
	cases := map[string]struct {
		reason   string
		target   pgbackrest.Target
		archived *time.Time
		early    bool
		want     error
	}{
		"InTheWindow": {
			reason: "a time after the oldest backup's end and before the last archived WAL is restored",
			target: at(5 * time.Minute), archived: &archived,
		},
		"SecondAfterTheBackup": {
			reason: "pgBackRest restores from a backup that ended in an earlier second",
			target: at(time.Second),
		},
		"InTheBackupsSecond": {
			reason: "a time in the second the backup ended finds no backup that ended before it",
			target: at(500 * time.Millisecond), early: true,
		},
		"BeforeTheFirstBackup": {
			reason: "a time before the first recoverability point is refused",
			target: at(-time.Hour), early: true,
		},
		"BeforeTheNamedBackup": {
			reason: "with a Backup named, the window starts at its end, not the oldest one's",
			target: pgbackrest.Target{Type: pgbackrest.TargetTime, Time: t0.Add(5 * time.Minute), Set: backups[1].Label},
			early:  true,
		},
		"AfterTheNamedBackup": {
			reason: "a time after the named backup's end is restored from it",
			target: pgbackrest.Target{Type: pgbackrest.TargetTime, Time: t0.Add(15 * time.Minute), Set: backups[1].Label},
		},
		"NamedBackupExpired": {
			reason: "a Backup whose label is no longer in the store is refused",
			target: pgbackrest.Target{Type: pgbackrest.TargetImmediate, Set: "20261201-000000F"},
			want:   errLabelGone,
		},
		"AfterTheLastArchivedWAL": {
			reason: "a time after the source last archived WAL is refused",
			target: at(21 * time.Minute), archived: &archived, want: errTargetLate,
		},
		"InTheLastArchivedSecond": {
			reason: "the last archived time is kept in whole seconds: a target in that second passes",
			target: at(20*time.Minute + 900*time.Millisecond), archived: &archived,
		},
		"SourceGone": {
			reason: "without the source's status, PostgreSQL finds the archive's end itself",
			target: at(50 * time.Minute),
		},
		"Future": {
			reason: "a time in the future is refused",
			target: at(2 * time.Hour), want: errors.New("target time 2026-12-07T04:00:00Z is in the future"),
		},
		"OtherTargets": {
			reason: "an LSN is for PostgreSQL to reach or not",
			target: pgbackrest.Target{Type: pgbackrest.TargetLSN, LSN: "0/3000028"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := checkTarget(tc.target, backups, tc.archived, now)
			var early *tooEarlyError
			switch {
			case tc.early:
				if !errors.As(err, &early) {
					t.Errorf("%s\ncheckTarget: want a too-early error, got %v", tc.reason, err)
				}
			case tc.want == nil:
				if err != nil {
					t.Errorf("%s\ncheckTarget: want nil, got %v", tc.reason, err)
				}
			case err == nil || (!errors.Is(err, tc.want) && err.Error() != tc.want.Error()):
				t.Errorf("%s\ncheckTarget: want %v, got %v", tc.reason, tc.want, err)
			}
		})
	}
}

func TestRecoveryTarget(t *testing.T) {
	yes := true
	t0 := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		r       v1alpha1.RecoveryParameters
		label   string
		want    pgbackrest.Target
		wantErr bool
	}{
		"Time": {
			r:    v1alpha1.RecoveryParameters{Target: v1alpha1.RecoveryTarget{Time: "2026-12-07T02:00:00.135581Z"}, Exclusive: &yes},
			want: pgbackrest.Target{Type: pgbackrest.TargetTime, Time: t0.Add(135581 * time.Microsecond), Exclusive: true},
		},
		"TimeInWholeSeconds": {
			r:    v1alpha1.RecoveryParameters{Target: v1alpha1.RecoveryTarget{Time: "2026-12-07T03:00:00+01:00"}},
			want: pgbackrest.Target{Type: pgbackrest.TargetTime, Time: t0},
		},
		"NotATime": {
			r:       v1alpha1.RecoveryParameters{Target: v1alpha1.RecoveryTarget{Time: "yesterday"}},
			want:    pgbackrest.Target{},
			wantErr: true,
		},
		"LSNOfABackup": {
			r:     v1alpha1.RecoveryParameters{Target: v1alpha1.RecoveryTarget{LSN: "0/3000028"}},
			label: "20261207-015950F",
			want:  pgbackrest.Target{Type: pgbackrest.TargetLSN, LSN: "0/3000028", Set: "20261207-015950F"},
		},
		"XID":  {r: v1alpha1.RecoveryParameters{Target: v1alpha1.RecoveryTarget{XID: "742"}}, want: pgbackrest.Target{Type: pgbackrest.TargetXID, XID: "742"}},
		"Name": {r: v1alpha1.RecoveryParameters{Target: v1alpha1.RecoveryTarget{Name: "before-migration"}}, want: pgbackrest.Target{Type: pgbackrest.TargetName, Name: "before-migration"}},
		"Immediate": {
			r:    v1alpha1.RecoveryParameters{Target: v1alpha1.RecoveryTarget{Immediate: &yes}},
			want: pgbackrest.Target{Type: pgbackrest.TargetImmediate},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := recoveryTarget(tc.r, tc.label)
			if (err != nil) != tc.wantErr {
				t.Fatalf("recoveryTarget: want an error %v, got %v", tc.wantErr, err)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("recoveryTarget: -want +got:\n%s", diff)
			}
		})
	}
}
