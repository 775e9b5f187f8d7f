package firewallrule

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

const timeout = 60 * time.Second

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestLocalRules: on the local backend nothing filters traffic, so a
// FirewallRule says so (Enforced=False) and is not Ready until the provider
// config accepts unenforced rules. A rule record of another namespace's
// resource is refused and outlives the resource's delete.
func TestLocalRules(t *testing.T) {
	ctx := context.Background()
	env := testenv.Start(t)
	c := env.Client
	base := filepath.Join(testenv.SharedDir(t), "rules")
	env.StartManager(t, testenv.ManagerConfig{Setups: []testenv.Setup{config.Setup, Setup}, LocalDir: base})

	const ns = "rules"
	must(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	pc := &apisv1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "local"}, Spec: apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal}}
	must(t, c.Create(ctx, pc))

	fr := rule(ns, "allow-postgres")
	must(t, c.Create(ctx, fr))
	got := &v1alpha1.FirewallRule{}
	conditions := func() (bool, xpv2.Condition, xpv2.Condition, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(fr), got); err != nil {
			return false, xpv2.Condition{}, xpv2.Condition{}, err.Error()
		}
		rd, en := got.GetCondition(xpv2.TypeReady), got.GetCondition(TypeEnforced)
		return true, rd, en, fmt.Sprintf("ready %s %q, enforced %s %s %q", rd.Status, rd.Message, en.Status, en.Reason, en.Message)
	}
	wait.For(t, timeout, "not Ready: nothing enforces it", func() (bool, string) {
		ok, rd, en, msg := conditions()
		return ok && rd.Status == corev1.ConditionFalse && strings.Contains(rd.Message, "nothing enforces this rule: the local backend only records it") &&
			en.Status == corev1.ConditionFalse && en.Reason == ReasonNotEnforced && strings.Contains(en.Message, "acceptUnenforcedFirewallRules: true"), msg
	})

	must(t, retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(pc), pc); err != nil {
			return err
		}
		pc.Spec.AcceptUnenforcedFirewallRules = true
		return c.Update(ctx, pc)
	}))
	// A provider config's change does not queue its rules: touch the rule.
	must(t, retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(fr), got); err != nil {
			return err
		}
		meta.AddAnnotations(got, map[string]string{"test/touched": "accept-unenforced"})
		return c.Update(ctx, got)
	}))
	wait.For(t, timeout, "Ready once the config accepts unenforced rules, still saying so", func() (bool, string) {
		ok, rd, en, msg := conditions()
		return ok && rd.Status == corev1.ConditionTrue && en.Status == corev1.ConditionFalse && en.Reason == ReasonAcceptedUnenforced, msg
	})
	if got.Status.AtProvider.Enforced {
		t.Error("status.atProvider.enforced: want false on the local backend")
	}
	must(t, c.Delete(ctx, got))
	wait.For(t, timeout, "FirewallRule gone", func() (bool, string) {
		return kerrors.IsNotFound(c.Get(ctx, client.ObjectKeyFromObject(fr), got)), "still there"
	})

	// Another namespace's resource's record under this name: refused, kept.
	l := local.New(base, 24000, 24999)
	id := machine.ID{Namespace: ns, Name: "team-b-rule"}
	teamB := ownership.Owner{Namespace: "team-b", UID: "0f1e2d3c-0000-4000-8000-0000000000bb"}
	_, err := l.CreateRule(ctx, id, machine.RuleSpec{Ports: []int32{22}, Protocol: v1alpha1.ProtocolTCP, Owner: teamB})
	must(t, err)
	foreign := rule(ns, "team-b-rule")
	must(t, c.Create(ctx, foreign))
	wait.For(t, timeout, "refused", func() (bool, string) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(foreign), got); err != nil {
			return false, err.Error()
		}
		s := got.GetCondition(xpv2.TypeSynced)
		return s.Status == corev1.ConditionFalse && strings.Contains(s.Message, "belongs to another resource (team-b/"+teamB.UID+")"), s.Message
	})
	must(t, c.Delete(ctx, got))
	wait.For(t, timeout, "FirewallRule gone", func() (bool, string) {
		return kerrors.IsNotFound(c.Get(ctx, client.ObjectKeyFromObject(foreign), got)), "still there"
	})
	r, err := l.ObserveRule(ctx, id)
	must(t, err)
	if r == nil || r.Owner == nil || *r.Owner != teamB || len(r.Ports) != 1 || r.Ports[0] != 22 {
		t.Errorf("team-b's rule after the refused resource's delete: %+v; want it as it was (port 22, team-b's)", r)
	}
}

func rule(ns, name string) *v1alpha1.FirewallRule {
	return &v1alpha1.FirewallRule{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.FirewallRuleSpec{
			ManagedResourceSpec: xpv2.ManagedResourceSpec{ProviderConfigReference: &xpv2.ProviderConfigReference{Kind: "ProviderConfig", Name: "local"}},
			ForProvider:         v1alpha1.FirewallRuleParameters{Ports: []int32{5432}, SourceCIDRs: []string{"10.0.0.0/8"}},
		},
	}
}
