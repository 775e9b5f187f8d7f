package databaseinstance

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

func TestArchivingCondition(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		reason string
		a      postgresql.Archiver
		cause  string
		want   xpv2.Condition
	}{
		"NothingYet": {
			reason: "A server that finished no segment yet says neither yes nor no.",
			want: xpv2.Condition{Type: v1alpha1.TypeWALArchiving, Status: corev1.ConditionUnknown, Reason: ReasonArchivePends,
				Message: "no WAL segment was archived to BackupStore s3 yet"},
		},
		"Archived": {
			reason: "A segment archived and none failed is archiving that works.",
			a:      postgresql.Archiver{ArchivedCount: 3, LastArchived: "000000010000000000000003", LastArchivedTime: t0},
			want: xpv2.Condition{Type: v1alpha1.TypeWALArchiving, Status: corev1.ConditionTrue, Reason: ReasonArchiving,
				Message: "WAL is archived to BackupStore s3"},
		},
		"RecoveredAfterFailure": {
			reason: "A success after the last failure means archiving resumed.",
			a: postgresql.Archiver{LastArchived: "000000010000000000000004", LastArchivedTime: t0.Add(time.Minute),
				FailedCount: 4, LastFailed: "000000010000000000000004", LastFailedTime: t0},
			want: xpv2.Condition{Type: v1alpha1.TypeWALArchiving, Status: corev1.ConditionTrue, Reason: ReasonArchiving,
				Message: "WAL is archived to BackupStore s3"},
		},
		"SameSecond": {
			reason: "A failure and a success at the same time: the retry that succeeded came last.",
			a: postgresql.Archiver{LastArchived: "000000010000000000000004", LastArchivedTime: t0,
				FailedCount: 1, LastFailed: "000000010000000000000004", LastFailedTime: t0},
			want: xpv2.Condition{Type: v1alpha1.TypeWALArchiving, Status: corev1.ConditionTrue, Reason: ReasonArchiving,
				Message: "WAL is archived to BackupStore s3"},
		},
		"Failing": {
			reason: "A failure after the last success names the segment, the store, since when and pgBackRest's cause.",
			a: postgresql.Archiver{LastArchived: "000000010000000000000004", LastArchivedTime: t0,
				FailedCount: 2, LastFailed: "000000010000000000000005", LastFailedTime: t0.Add(time.Minute)},
			cause: "[039]: HostConnectError: unable to connect",
			want: xpv2.Condition{Type: v1alpha1.TypeWALArchiving, Status: corev1.ConditionFalse, Reason: ReasonArchiveFailed,
				Message: "archiving WAL segment 000000010000000000000005 to BackupStore s3 fails since 2026-12-06T23:01:00Z: [039]: HostConnectError: unable to connect"},
		},
		"FailingNeverArchived": {
			reason: "A store that never took a segment fails the same way; without pgBackRest's message the server's log is named.",
			a:      postgresql.Archiver{FailedCount: 1, LastFailed: "000000010000000000000001", LastFailedTime: t0},
			want: xpv2.Condition{Type: v1alpha1.TypeWALArchiving, Status: corev1.ConditionFalse, Reason: ReasonArchiveFailed,
				Message: "archiving WAL segment 000000010000000000000001 to BackupStore s3 fails since 2026-12-06T23:00:00Z: pgBackRest logged no error; see the server's log"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := archivingCondition("BackupStore s3", tc.a, tc.cause)
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(xpv2.Condition{}, "LastTransitionTime")); diff != "" {
				t.Errorf("%s\narchivingCondition(...): -want +got:\n%s", tc.reason, diff)
			}
			if archiveFailing(tc.a) != (tc.want.Status == corev1.ConditionFalse) {
				t.Errorf("%s\narchiveFailing(...) = %t, disagrees with the condition", tc.reason, archiveFailing(tc.a))
			}
		})
	}
}

func TestRecoveryWindow(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 23, 0, 0, 500, time.UTC)
	at := func(d time.Duration) *metav1.Time { m := metav1.NewTime(t0.Add(d)); return &m }
	known := v1alpha1.RecoveryWindow{LastArchivedWAL: "000000010000000000000002", LastArchivedTime: at(0).DeepCopy(),
		FirstRecoverabilityPoint: at(-time.Hour), LastSuccessfulBackupTime: at(-time.Minute)}
	trunc := func(m *metav1.Time) *metav1.Time { x := metav1.NewTime(m.Truncate(time.Second)); return &x }
	cases := map[string]struct {
		reason  string
		w       v1alpha1.RecoveryWindow
		a       *postgresql.Archiver
		backups []pgbackrest.Backup
		want    v1alpha1.RecoveryWindow
	}{
		"Archived": {
			reason: "The newest archived segment and its time, in whole seconds, replace what was known.",
			w:      known,
			a:      &postgresql.Archiver{LastArchived: "000000010000000000000007", LastArchivedTime: t0.Add(time.Minute)},
			want: v1alpha1.RecoveryWindow{LastArchivedWAL: "000000010000000000000007", LastArchivedTime: trunc(at(time.Minute)),
				FirstRecoverabilityPoint: at(-time.Hour), LastSuccessfulBackupTime: at(-time.Minute)},
		},
		"StatisticsStartedAgain": {
			reason: "A new primary's archiver reports nothing: what was known stays.",
			w:      known,
			a:      &postgresql.Archiver{},
			want:   known,
		},
		"Backups": {
			reason: "The oldest backup's end is the first point a restore reaches, the newest one's the last backup.",
			w:      v1alpha1.RecoveryWindow{LastArchivedWAL: "000000010000000000000002"},
			backups: []pgbackrest.Backup{
				{Label: "F1", Stop: t0.Add(-2 * time.Hour)}, {Label: "I1", Stop: t0.Add(-time.Hour)}, {Label: "F2", Stop: t0},
			},
			want: v1alpha1.RecoveryWindow{LastArchivedWAL: "000000010000000000000002",
				FirstRecoverabilityPoint: at(-2 * time.Hour), LastSuccessfulBackupTime: at(0)},
		},
		"NoBackupsLeft": {
			reason: "Backups that expired take the window's start with them.",
			w:      known,
			want:   v1alpha1.RecoveryWindow{LastArchivedWAL: known.LastArchivedWAL, LastArchivedTime: known.LastArchivedTime},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got v1alpha1.RecoveryWindow
			if tc.a != nil {
				got = withArchived(tc.w, *tc.a)
			} else {
				got = withBackups(tc.w, tc.backups)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestInfoDue(t *testing.T) {
	now := time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		reason  string
		last    time.Time
		failing bool
		want    bool
	}{
		"Never":        {reason: "The first look asks.", want: true},
		"WithinMinute": {reason: "A look within a minute of the last info stays cheap.", last: now.Add(-59 * time.Second)},
		"MinuteOld":    {reason: "A minute later info runs again.", last: now.Add(-time.Minute), want: true},
		"StoreFailing": {reason: "While archiving fails the store is likely down: info would only wait out its timeout.", last: now.Add(-time.Hour), failing: true},
		"NeverFailing": {reason: "Not even the first look asks a failing store.", failing: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := infoDue(tc.last, now, tc.failing); got != tc.want {
				t.Errorf("%s\ninfoDue(...) = %t, want %t", tc.reason, got, tc.want)
			}
		})
	}
}

func TestBackupSettings(t *testing.T) {
	off := false
	cases := map[string]struct {
		reason    string
		b         v1alpha1.InstanceBackupParameters
		archiving bool
		timeout   time.Duration
	}{
		"Defaults": {
			reason:    "Archiving is on, with a segment switch at least every minute, unless the spec says otherwise.",
			b:         v1alpha1.InstanceBackupParameters{Store: "s3"},
			archiving: true, timeout: time.Minute,
		},
		"Off": {
			reason:  "walArchiving false archives nothing: only whole backups can be restored.",
			b:       v1alpha1.InstanceBackupParameters{Store: "s3", WALArchiving: &off},
			timeout: time.Minute,
		},
		"Timeout": {
			reason:    "archiveTimeout bounds what is lost when writes are rare.",
			b:         v1alpha1.InstanceBackupParameters{Store: "s3", ArchiveTimeout: &metav1.Duration{Duration: 10 * time.Second}},
			archiving: true, timeout: 10 * time.Second,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := walArchiving(&tc.b); got != tc.archiving {
				t.Errorf("%s\nwalArchiving(...) = %t, want %t", tc.reason, got, tc.archiving)
			}
			if got := archiveTimeout(&tc.b); got != tc.timeout {
				t.Errorf("%s\narchiveTimeout(...) = %s, want %s", tc.reason, got, tc.timeout)
			}
		})
	}
}

// TestWithoutCondition: an instance that stops archiving loses its
// WALArchiving condition and keeps the others in their order.
func TestWithoutCondition(t *testing.T) {
	ready := xpv2.Available()
	synced := xpv2.ReconcileSuccess()
	archiving := xpv2.Condition{Type: v1alpha1.TypeWALArchiving, Status: corev1.ConditionFalse, Reason: ReasonArchiveFailed}
	cases := map[string]struct {
		in, want []xpv2.Condition
	}{
		"Removed":     {in: []xpv2.Condition{ready, archiving, synced}, want: []xpv2.Condition{ready, synced}},
		"NotThere":    {in: []xpv2.Condition{ready, synced}, want: []xpv2.Condition{ready, synced}},
		"OnlyOne":     {in: []xpv2.Condition{archiving}, want: []xpv2.Condition{}},
		"NoCondition": {in: nil, want: nil},
	}
	for name, tc := range cases {
		if diff := cmp.Diff(tc.want, withoutCondition(tc.in, v1alpha1.TypeWALArchiving), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: withoutCondition: -want +got:\n%s", name, diff)
		}
	}
}
