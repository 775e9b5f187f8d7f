package backup

import (
	"fmt"
	"testing"

	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
)

func TestExpiredByRetention(t *testing.T) {
	const label = "20261206-230000F"
	cases := map[string]struct {
		reason string
		at     v1alpha1.BackupObservation
		// external is the Backup's external name.
		external string
		// listed is whether the store lists the label.
		listed bool

		wantLook    bool
		wantPhase   v1alpha1.BackupPhase
		wantMessage string
	}{
		"CompletedListed": {
			reason:   "A completed backup the store still lists stays Completed.",
			at:       v1alpha1.BackupObservation{Phase: v1alpha1.BackupCompleted, Label: label},
			external: label, listed: true,
			wantLook: true, wantPhase: v1alpha1.BackupCompleted,
		},
		"CompletedExpired": {
			reason:   "A completed backup the store no longer lists was expired by its retention.",
			at:       v1alpha1.BackupObservation{Phase: v1alpha1.BackupCompleted, Label: label},
			external: label, listed: false,
			wantLook: true, wantPhase: v1alpha1.BackupExpired, wantMessage: fmt.Sprintf(msgExpired, label),
		},
		"ExpiredIsFinal": {
			reason:   "An Expired backup is not looked at again.",
			at:       v1alpha1.BackupObservation{Phase: v1alpha1.BackupExpired, Label: label},
			external: label,
		},
		"NotCompletedYet": {
			reason: "A backup without a label is observed as it runs, not looked at as a completed one.",
			at:     v1alpha1.BackupObservation{Phase: v1alpha1.BackupRunning},
		},
		"StatusBehindLabel": {
			reason:   "A label written before the status (the look that completed it) is not a completed backup yet.",
			at:       v1alpha1.BackupObservation{Phase: v1alpha1.BackupRunning},
			external: label,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			look := lookAgain(tc.at, tc.external)
			if look != tc.wantLook {
				t.Fatalf("%s\nlookAgain(...): got %t, want %t", tc.reason, look, tc.wantLook)
			}
			if !look {
				return
			}
			phase, msg := afterLook(tc.at.Label, tc.listed)
			if phase != tc.wantPhase || msg != tc.wantMessage {
				t.Errorf("%s\nafterLook(...): got %s %q, want %s %q", tc.reason, phase, msg, tc.wantPhase, tc.wantMessage)
			}
		})
	}
}
