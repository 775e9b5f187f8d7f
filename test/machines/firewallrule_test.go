package machines

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/firewallrule"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// firewallRule: allow the engine's port from a CIDR, widen it, delete it.
// A rule that nothing enforces (vSphere) says so and is not Ready until the
// provider config accepts unenforced rules.
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
		wait.For(t, timeout, "FirewallRule Ready with ports", func() (bool, string) {
			if err := c.Get(context.Background(), client.ObjectKeyFromObject(fr), got); err != nil {
				return false, err.Error()
			}
			s := got.GetCondition(xpv2.TypeSynced)
			return got.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue && s.Status == corev1.ConditionTrue &&
				slices.Equal(got.Status.AtProvider.Ports, ports), s.Message
		})
	}
	if !r.enforced {
		unenforced(t, c, fr, ns)
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

// unenforced: the rule is recorded but not Ready, and its Enforced
// condition says why; once the provider config accepts unenforced rules it
// becomes Ready, still saying that nothing enforces it.
func unenforced(t *testing.T, c client.Client, fr *v1alpha1.FirewallRule, ns string) {
	t.Helper()
	got := &v1alpha1.FirewallRule{}
	wait.For(t, timeout, "FirewallRule not Ready because nothing enforces it", func() (bool, string) {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(fr), got); err != nil {
			return false, err.Error()
		}
		rd, en := got.GetCondition(xpv2.TypeReady), got.GetCondition(firewallrule.TypeEnforced)
		return rd.Status == corev1.ConditionFalse && strings.Contains(rd.Message, "nothing enforces this rule") &&
				en.Status == corev1.ConditionFalse && en.Reason == firewallrule.ReasonNotEnforced && strings.Contains(en.Message, "acceptUnenforcedFirewallRules"),
			fmt.Sprintf("ready %s %q, enforced %s %s %q", rd.Status, rd.Message, en.Status, en.Reason, en.Message)
	})
	if !got.Status.AtProvider.Enforced && got.Status.AtProvider.ID == "" {
		t.Errorf("an unenforced rule is still recorded: want status.atProvider.id, got %+v", got.Status.AtProvider)
	}

	pc := &apisv1alpha1.ProviderConfig{}
	must(t, retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: pcName}, pc); err != nil {
			return err
		}
		pc.Spec.AcceptUnenforcedFirewallRules = true
		return c.Update(context.Background(), pc)
	}))
	// A provider config's change does not queue its rules: touch the rule.
	must(t, retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(fr), got); err != nil {
			return err
		}
		meta.AddAnnotations(got, map[string]string{"test/touched": "accept-unenforced"})
		return c.Update(context.Background(), got)
	}))
	wait.For(t, timeout, "FirewallRule Ready once unenforced rules are accepted", func() (bool, string) {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(fr), got); err != nil {
			return false, err.Error()
		}
		rd, en := got.GetCondition(xpv2.TypeReady), got.GetCondition(firewallrule.TypeEnforced)
		return rd.Status == corev1.ConditionTrue && en.Status == corev1.ConditionFalse && en.Reason == firewallrule.ReasonAcceptedUnenforced,
			fmt.Sprintf("ready %s %q, enforced %s %s %q", rd.Status, rd.Message, en.Status, en.Reason, en.Message)
	})
}
