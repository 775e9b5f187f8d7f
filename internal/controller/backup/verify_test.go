package backup

import (
	"fmt"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
)

func TestVerifyDue(t *testing.T) {
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		reason string
		last   time.Time
		want   bool
	}{
		"Never":      {reason: "A stanza never verified by this provider is verified at once.", last: time.Time{}, want: true},
		"Recent":     {reason: "A stanza verified within the interval is not read back again.", last: now.Add(-time.Hour), want: false},
		"IntervalUp": {reason: "A stanza whose last verify is an interval old is verified again.", last: now.Add(-6 * time.Hour), want: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := verifyDue(tc.last, now, 6*time.Hour); got != tc.want {
				t.Errorf("%s\nverifyDue(...): want %v, got %v", tc.reason, tc.want, got)
			}
		})
	}
}

func TestNextVerifyStep(t *testing.T) {
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		reason  string
		started time.Time
		last    time.Time
		failed  bool
		every   time.Duration
		want    verifyStep
	}{
		"Never":         {reason: "A stanza never verified starts a verify.", want: verifyStart},
		"Due":           {reason: "A stanza whose last verify started an interval ago starts another.", last: now.Add(-6 * time.Hour), want: verifyStart},
		"Recent":        {reason: "A stanza verified within the interval starts none.", last: now.Add(-time.Hour), want: verifyNothing},
		"Running":       {reason: "A verify that runs is looked at, however long ago it started.", started: now.Add(-time.Minute), want: verifyLook},
		"RunningAndDue": {reason: "A verify that runs is looked at rather than a second one started.", started: now.Add(-time.Minute), last: now.Add(-7 * time.Hour), want: verifyLook},
		"FailedRetried": {reason: "A verify that failed (stopped at its bound, say) is tried again after verifyRetry, not the whole interval.", last: now.Add(-verifyRetry), failed: true, want: verifyStart},
		"FailedRecent":  {reason: "A verify that failed moments ago is not started again at once.", last: now.Add(-time.Minute), failed: true, want: verifyNothing},
		"FailedShortInterval": {
			reason: "With an interval shorter than verifyRetry, a failed verify is tried again after the interval.",
			last:   now.Add(-5 * time.Second), failed: true, every: 5 * time.Second, want: verifyStart,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			every := tc.every
			if every == 0 {
				every = 6 * time.Hour
			}
			if got := nextVerifyStep(tc.started, tc.last, tc.failed, now, every); got != tc.want {
				t.Errorf("%s\nnextVerifyStep(...): want %v, got %v", tc.reason, tc.want, got)
			}
		})
	}
}

func TestVerifiedCondition(t *testing.T) {
	const label = "20261207-020000F"
	stopped := time.Date(2026, 12, 7, 2, 0, 30, 0, time.UTC)
	after := stopped.Add(time.Minute)
	every := 6 * time.Hour
	report := "backup: 20261207-020000F, status: invalid, total files checked: 967, total valid files: 966\nchecksum invalid: 1"
	errStore := errors.New("pgbackrest verify failed: ERROR: [039]: unable to open missing file")
	type want struct {
		c       xpv2.Condition
		invalid bool
	}
	cases := map[string]struct {
		reason string
		at     time.Time
		result pgbackrest.Verification
		err    error
		want   want
	}{
		"NeverVerified": {
			reason: "Without a verify there is nothing to say yet.",
			want: want{c: xpv2.Condition{Type: v1alpha1.TypeVerified, Status: corev1.ConditionUnknown, Reason: v1alpha1.ReasonNotVerified,
				Message: fmt.Sprintf(msgNotVerified, label, every)}},
		},
		"VerifiedBeforeTheBackup": {
			reason: "A verify that ran before the backup stopped did not read it.",
			at:     stopped.Add(-time.Second),
			want: want{c: xpv2.Condition{Type: v1alpha1.TypeVerified, Status: corev1.ConditionUnknown, Reason: v1alpha1.ReasonNotVerified,
				Message: fmt.Sprintf(msgNotVerified, label, every)}},
		},
		"Valid": {
			reason: "A verify after the backup that names it nowhere found it valid.",
			at:     after,
			want: want{c: xpv2.Condition{Type: v1alpha1.TypeVerified, Status: corev1.ConditionTrue, Reason: v1alpha1.ReasonValid,
				Message: fmt.Sprintf(msgValid, label)}},
		},
		"OtherBackupInvalid": {
			reason: "Another backup's corrupted file does not condemn this one.",
			at:     after,
			result: pgbackrest.Verification{Invalid: map[string]string{"20261206-010000F": "backup: 20261206-010000F, status: invalid"}},
			want: want{c: xpv2.Condition{Type: v1alpha1.TypeVerified, Status: corev1.ConditionTrue, Reason: v1alpha1.ReasonValid,
				Message: fmt.Sprintf(msgValid, label)}},
		},
		"Invalid": {
			reason: "A backup the verify found invalid is False with pgBackRest's report, and invalid.",
			at:     after,
			result: pgbackrest.Verification{Invalid: map[string]string{label: report}},
			want: want{invalid: true, c: xpv2.Condition{Type: v1alpha1.TypeVerified, Status: corev1.ConditionFalse, Reason: v1alpha1.ReasonInvalid,
				Message: fmt.Sprintf(msgInvalid, label, report)}},
		},
		"VerifyFailed": {
			reason: "A verify that could not run says nothing of the backup: Unknown, with why.",
			at:     after,
			err:    errStore,
			want: want{c: xpv2.Condition{Type: v1alpha1.TypeVerified, Status: corev1.ConditionUnknown, Reason: v1alpha1.ReasonVerifyFailed,
				Message: fmt.Sprintf(msgVerifyError, label, errStore)}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, invalid := verifiedCondition(label, stopped, tc.at, tc.result, tc.err, every)
			if diff := cmp.Diff(tc.want, want{c: c, invalid: invalid}, test.EquateConditions(), cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nverifiedCondition(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
