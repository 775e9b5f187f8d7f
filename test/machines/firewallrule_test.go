package machines

import (
	"context"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// firewallRule: allow the engine's port from a CIDR, widen it, delete it.
func firewallRule(t *testing.T, env *testenv.Env, r rig, ns string) {
	c := env.Client
	fr := &v1alpha1.FirewallRule{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "allow-postgres"},
		Spec: v1alpha1.FirewallRuleSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: pcName}},
			ForProvider:         v1alpha1.FirewallRuleParameters{Ports: []int32{5432}, SourceCIDRs: []string{"10.0.0.0/8"}, Priority: 1000},
		},
	}
	r.ruleParams(&fr.Spec.ForProvider)
	must(t, c.Create(context.Background(), fr))
	got := &v1alpha1.FirewallRule{}
	ready := func(ports ...int32) {
		eventually(t, "FirewallRule Ready with ports", func() (bool, string) {
			if err := c.Get(context.Background(), client.ObjectKeyFromObject(fr), got); err != nil {
				return false, err.Error()
			}
			s := got.GetCondition(xpv2.TypeSynced)
			return got.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue && s.Status == corev1.ConditionTrue &&
				slices.Equal(got.Status.AtProvider.Ports, ports), s.Message
		})
	}
	ready(5432)
	if got.Status.AtProvider.Enforced != r.enforced {
		t.Errorf("status.atProvider.enforced: want %t, got %t", r.enforced, got.Status.AtProvider.Enforced)
	}

	// A PgBouncer port joins the rule.
	must(t, retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(fr), got); err != nil {
			return err
		}
		got.Spec.ForProvider.Ports = []int32{5432, 6432}
		return c.Update(context.Background(), got)
	}))
	ready(5432, 6432)

	must(t, c.Delete(context.Background(), got))
	waitGone(t, c, got)
}
