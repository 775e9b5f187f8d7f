package databaseinstance

import (
	"time"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/metrics"
)

// countPromotion counts the promotion just done into the dbaas_promotion*
// metrics, timed from when the epoch record says it was decided: the
// failover's decision, or the switchover's record written before anything
// was stopped.
func (e *external) countPromotion(cr *v1alpha1.DatabaseInstance, failingOver bool) {
	kind, at := metrics.KindSwitchover, e.rec.SwitchoverAt
	if failingOver {
		kind, at = metrics.KindFailover, e.rec.FailoverAt
	}
	var decided time.Time
	if at != nil {
		decided = at.Time
	}
	metrics.Promoted(cr.GetNamespace(), cr.GetName(), kind, decided)
}
