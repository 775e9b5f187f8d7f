package setup

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"github.com/crossplane/crossplane-runtime/v2/pkg/statemetrics"

	"github.com/dbaas-io/dbaas/internal/controller/options"
)

const errNotList = "cannot make a managed list of kind %s"

// addStateMetrics counts the kind's resources, and those Ready and Synced,
// into crossplane-runtime's state metrics every PollStateMetricInterval,
// when the options carry them.
func addStateMetrics(mgr ctrl.Manager, o options.Options, kind schema.GroupVersionKind, name string) error {
	mo := o.MetricOptions
	if mo == nil || mo.MRStateMetrics == nil {
		return nil
	}
	lk := kind
	lk.Kind += "List"
	obj, err := mgr.GetScheme().New(lk)
	if err != nil {
		return errors.Wrapf(err, errNotList, lk)
	}
	list, ok := obj.(resource.ManagedList)
	if !ok {
		return errors.Errorf(errNotList, lk)
	}
	log := o.Logger.WithValues("controller", name)
	r := statemetrics.NewMRStateRecorder(mgr.GetClient(), log, mo.MRStateMetrics, list, mo.PollStateMetricInterval)
	// The recorder's own Start returns the first error of a list, and an
	// error of a runnable stops the whole manager: a cache not yet synced
	// or a slow API server would take the provider down for a metric. So
	// the loop here logs and goes on.
	return mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		t := time.NewTicker(mo.PollStateMetricInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				if err := r.Record(ctx); err != nil {
					log.Debug("cannot record the state metrics", "error", err)
				}
			}
		}
	}))
}
