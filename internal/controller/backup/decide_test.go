package backup

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
)

func TestDecide(t *testing.T) {
	started := time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)
	listed := &pgbackrest.Backup{Label: "20261206-230000F"}
	lock := "ERROR: [050]: unable to acquire lock on file '/l/ns.db-backup.lock': Resource temporarily unavailable"
	cases := map[string]struct {
		reason string
		o      observed
		want   verdict
	}{
		"ListedCompletes": {
			reason: "The store listing the annotated backup completes it, whatever the process says.",
			o:      observed{found: listed, run: pgbackrest.Run{State: pgbackrest.RunGone}},
			want:   verdict{phase: v1alpha1.BackupCompleted},
		},
		"Running": {
			reason: "A live process whose backup the store does not list yet runs.",
			o:      observed{run: pgbackrest.Run{State: pgbackrest.RunRunning}},
			want:   verdict{phase: v1alpha1.BackupRunning},
		},
		"LockedWaits": {
			reason: "Another backup holds the stanza: the backup waits, and is not failed.",
			o:      observed{run: pgbackrest.Run{State: pgbackrest.RunExited, ExitCode: pgbackrest.ExitLockHeld, Output: lock}, started: started, now: started.Add(3 * time.Second)},
			want:   verdict{phase: v1alpha1.BackupPending, message: fmt.Sprintf(msgWaiting, retryAfter)},
		},
		"LockedRestartsAfterWaiting": {
			reason: "Once it has waited retryAfter, it starts again.",
			o:      observed{run: pgbackrest.Run{State: pgbackrest.RunExited, ExitCode: pgbackrest.ExitLockHeld, Output: lock}, started: started, now: started.Add(retryAfter)},
			want:   verdict{phase: v1alpha1.BackupPending, message: fmt.Sprintf(msgWaiting, retryAfter), restart: true},
		},
		"ExitedWithError": {
			reason: "Any other exit fails, with pgBackRest's words.",
			o:      observed{run: pgbackrest.Run{State: pgbackrest.RunExited, ExitCode: 82, Output: "ERROR: [082]: WAL segment was not archived before the 60000ms timeout"}},
			want:   verdict{phase: v1alpha1.BackupFailed, message: "pgbackrest backup exited with 82: ERROR: [082]: WAL segment was not archived before the 60000ms timeout"},
		},
		"ExitedZeroButNotListed": {
			reason: "Success without a listed backup is a failure: nothing half-written is reported as a backup.",
			o:      observed{run: pgbackrest.Run{State: pgbackrest.RunExited}, id: "uid-1"},
			want:   verdict{phase: v1alpha1.BackupFailed, message: fmt.Sprintf(msgNoBackup, pgbackrest.AnnotationKey, "uid-1")},
		},
		"Gone": {
			reason: "A process gone without an exit code (killed, or its machine restarted) fails.",
			o:      observed{run: pgbackrest.Run{State: pgbackrest.RunGone}},
			want:   verdict{phase: v1alpha1.BackupFailed, message: fmt.Sprintf(msgGone, msgNoWords)},
		},
		"NoTrace": {
			reason: "A member without the run's files fails, naming the machine.",
			o:      observed{run: pgbackrest.Run{State: pgbackrest.RunNone}, member: "vm-0"},
			want:   verdict{phase: v1alpha1.BackupFailed, message: fmt.Sprintf(msgNoTrace, "vm-0")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, decide(tc.o), cmp.AllowUnexported(verdict{})); diff != "" {
				t.Errorf("%s\ndecide(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestFindAnnotated(t *testing.T) {
	info := pgbackrest.Info{Backups: []pgbackrest.Backup{
		{Label: "a", Annotations: map[string]string{pgbackrest.AnnotationKey: "one"}},
		{Label: "b"},
		{Label: "c", Annotations: map[string]string{pgbackrest.AnnotationKey: "two", "other": "x"}},
	}}
	cases := map[string]struct{ id, want string }{
		"First":   {id: "one", want: "a"},
		"Another": {id: "two", want: "c"},
		"None":    {id: "three", want: ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := ""
			if b := findAnnotated(info, tc.id); b != nil {
				got = b.Label
			}
			if got != tc.want {
				t.Errorf("findAnnotated(%q) = %q, want %q", tc.id, got, tc.want)
			}
		})
	}
}

func TestOnlyFull(t *testing.T) {
	full := func(l string) pgbackrest.Backup { return pgbackrest.Backup{Label: l, Type: pgbackrest.TypeFull} }
	incr := func(l string) pgbackrest.Backup { return pgbackrest.Backup{Label: l, Type: pgbackrest.TypeIncr} }
	cases := map[string]struct {
		backups []pgbackrest.Backup
		label   string
		want    bool
	}{
		"TheOnlyFull":          {backups: []pgbackrest.Backup{full("F1"), incr("F1_I1")}, label: "F1", want: true},
		"OneOfTwoFulls":        {backups: []pgbackrest.Backup{full("F1"), full("F2")}, label: "F1"},
		"AnIncrementalBackup":  {backups: []pgbackrest.Backup{full("F1"), incr("F1_I1")}, label: "F1_I1"},
		"NotInTheStoreAnymore": {backups: []pgbackrest.Backup{full("F2")}, label: "F1"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := onlyFull(pgbackrest.Info{Backups: tc.backups}, tc.label); got != tc.want {
				t.Errorf("onlyFull(..., %q) = %t, want %t", tc.label, got, tc.want)
			}
		})
	}
}
