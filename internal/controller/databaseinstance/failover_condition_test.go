package databaseinstance

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

// TestRestoreFailoverCondition checks when the Failover condition is taken
// from the epoch record: only for a failover whose promotion is done and
// that the condition does not report yet.
func TestRestoreFailoverCondition(t *testing.T) {
	at := metav1.NewTime(time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC))
	failover := epochRecord{Epoch: 2, Primary: "b", Failover: true, Message: "promoted b: primary a did not answer", FailoverAt: &at}
	reported := failoverCondition(failover, at)
	earlier := failoverCondition(epochRecord{Epoch: 1, Primary: "a", Failover: true, Message: "promoted a"}, at)
	cases := map[string]struct {
		rec      epochRecord
		promoted bool
		had      *xpv2.Condition
		want     xpv2.Condition
	}{
		"ProviderStoppedAfterThePromotion": {rec: failover, promoted: true, want: reported},
		"AnEarlierFailoverReported":        {rec: failover, promoted: true, had: &earlier, want: reported},
		"AlreadyReported":                  {rec: failover, promoted: true, had: &reported, want: reported},
		"NotPromotedYet":                   {rec: failover, promoted: false, want: xpv2.Condition{Type: v1alpha1.TypeFailover, Status: corev1.ConditionUnknown}},
		"Switchover": {
			rec: epochRecord{Epoch: 3, Primary: "c", SwitchoverAt: &at}, promoted: true, had: &earlier, want: earlier,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cr := &v1alpha1.DatabaseInstance{}
			if tc.had != nil {
				cr.SetConditions(*tc.had)
			}
			restoreFailoverCondition(cr, tc.rec, tc.promoted)
			got := cr.GetCondition(v1alpha1.TypeFailover)
			if !got.Equal(tc.want) || !got.LastTransitionTime.Equal(&tc.want.LastTransitionTime) {
				t.Errorf("Failover condition: got %+v, want %+v", got, tc.want)
			}
		})
	}
}
