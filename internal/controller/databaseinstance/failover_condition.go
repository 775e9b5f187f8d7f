package databaseinstance

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

// failoverCondition is the Failover condition reporting the promotion rec
// records, as of at.
func failoverCondition(rec epochRecord, at metav1.Time) xpv2.Condition {
	return xpv2.Condition{
		Type: v1alpha1.TypeFailover, Status: corev1.ConditionTrue, Reason: reasonPromoted,
		Message: rec.Message + fencingTokenSuffix(rec.Epoch), LastTransitionTime: at,
	}
}

func fencingTokenSuffix(epoch int64) string {
	return " (fencing token " + strconv.FormatInt(epoch, 10) + ")"
}

// restoreFailoverCondition sets the Failover condition from the epoch
// record when the record is a failover whose promotion is done (promoted:
// the recorded member runs as the primary) and the condition does not
// report it yet. The pass that promotes sets the condition only in the
// status it writes at its end; a provider stopped after the promotion
// never writes it, and the pass of the next provider finds nothing left to
// promote. The record, written before the promotion, survives that, so the
// condition is taken from it, dated when the failover was recorded.
func restoreFailoverCondition(cr *v1alpha1.DatabaseInstance, rec epochRecord, promoted bool) {
	if !rec.Failover || !promoted {
		return
	}
	c := cr.GetCondition(v1alpha1.TypeFailover)
	if c.Status == corev1.ConditionTrue && strings.HasSuffix(c.Message, fencingTokenSuffix(rec.Epoch)) {
		return
	}
	at := metav1.Now()
	if rec.FailoverAt != nil {
		at = *rec.FailoverAt
	}
	cr.SetConditions(failoverCondition(rec, at))
}
