package backupschedule_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// TestScheduleValidation checks that the API server refuses what its CEL
// rules can tell is wrong in a BackupSchedule, with a message saying what
// to change, and accepts the forms the controller reads.
func TestScheduleValidation(t *testing.T) {
	t.Parallel()
	env := testenv.Shared(t)
	spec := func(mod func(s *v1alpha1.BackupScheduleSpec)) v1alpha1.BackupScheduleSpec {
		s := v1alpha1.BackupScheduleSpec{Instance: "db", Schedule: "0 1 * * *"}
		mod(&s)
		return s
	}
	cases := map[string]struct {
		reason string
		name   string
		spec   v1alpha1.BackupScheduleSpec
		want   string // empty: must be accepted
	}{
		"FiveFields":   {reason: "Five fields are a cron schedule.", spec: spec(func(*v1alpha1.BackupScheduleSpec) {})},
		"SecondsFirst": {reason: "Six fields have seconds first.", spec: spec(func(s *v1alpha1.BackupScheduleSpec) { s.Schedule = "*/20 * * * * *" })},
		"Descriptor":   {reason: "Descriptors are accepted.", spec: spec(func(s *v1alpha1.BackupScheduleSpec) { s.Schedule = "@every 6h" })},
		"FourWords":    {reason: "Four words are no cron schedule.", spec: spec(func(s *v1alpha1.BackupScheduleSpec) { s.Schedule = "every night at three" }), want: "schedule has 5 fields"},
		"TZPrefix":     {reason: "The zone is spec.timeZone, not a prefix.", spec: spec(func(s *v1alpha1.BackupScheduleSpec) { s.Schedule = "CRON_TZ=UTC 0 1 * * *" }), want: "set spec.timeZone instead"},
		"SlotTZPrefix": {reason: "A slot's zone is spec.timeZone too.", spec: spec(func(s *v1alpha1.BackupScheduleSpec) {
			s.Slots = []v1alpha1.BackupSlot{{Schedule: "TZ=UTC 0 1 * * *", Type: v1alpha1.BackupIncr}}
		}), want: "set spec.timeZone instead"},
		"NoInstance": {reason: "A schedule names its instance.", spec: spec(func(s *v1alpha1.BackupScheduleSpec) { s.Instance = "" }), want: "set instance, instanceRef or instanceSelector"},
		"RefElsewhere": {reason: "An instance of another namespace is refused.", spec: spec(func(s *v1alpha1.BackupScheduleSpec) {
			s.Instance, s.InstanceRef = "", &xpv2.NamespacedReference{Name: "db", Namespace: "other"}
		}), want: "remove instanceRef.namespace"},
		"SelectorElsewhere": {reason: "A selector of another namespace is refused.", spec: spec(func(s *v1alpha1.BackupScheduleSpec) {
			s.Instance, s.InstanceSelector = "", &xpv2.NamespacedSelector{Namespace: "other"}
		}), want: "remove instanceSelector.namespace"},
		"ZoneNotAName": {reason: "A zone is a plain IANA name.", spec: spec(func(s *v1alpha1.BackupScheduleSpec) { s.TimeZone = "UTC; rm -rf /" }), want: "timeZone"},
		"NameTooLong":  {reason: "Backups are named after the schedule and carry its name as a label value.", name: strings.Repeat("s", 64), spec: spec(func(*v1alpha1.BackupScheduleSpec) {}), want: "at most 63 characters"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := &v1alpha1.BackupSchedule{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: tc.name, GenerateName: "s-"}, Spec: tc.spec}
			err := env.Client.Create(context.Background(), o)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s\ngot %v, want it accepted", tc.reason, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("%s\ngot %v, want an error containing %q", tc.reason, err, tc.want)
			}
		})
	}
}
