package apis_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// nodeMetricsDefaultOn: an instance that turns metrics on with an empty
// block runs node_exporter on its registered port too, once the API
// server has defaulted it; one without metrics gets no node block. It
// runs on TestCRDValidation's API server.
func nodeMetricsDefaultOn(t *testing.T, env *testenv.Env) {
	ctx := context.Background()
	on := instance(func(p *enginev1alpha1.DatabaseInstanceParameters) { p.Metrics = &enginev1alpha1.MetricsParameters{} })
	off := instance(nil)
	for _, i := range []*enginev1alpha1.DatabaseInstance{on, off} {
		if err := env.Client.Create(ctx, i); err != nil {
			t.Fatal(err)
		}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(i), i); err != nil {
			t.Fatal(err)
		}
	}
	want := &enginev1alpha1.MetricsParameters{
		Enabled: ptr.To(true), Port: 9187,
		Node: &enginev1alpha1.NodeMetricsParameters{Enabled: ptr.To(true), Port: 9100},
	}
	if diff := cmp.Diff(want, on.Spec.ForProvider.Metrics); diff != "" {
		t.Errorf("metrics: {} defaulted: -want +got:\n%s", diff)
	}
	if off.Spec.ForProvider.Metrics != nil {
		t.Errorf("an instance without metrics got %+v", off.Spec.ForProvider.Metrics)
	}
}
