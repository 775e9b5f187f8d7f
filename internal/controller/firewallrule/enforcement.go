package firewallrule

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// TypeEnforced says whether anything enforces the rule: a cloud firewall
// does; the local backend (everything on loopback) and vSphere without NSX
// only record it.
const TypeEnforced xpv2.ConditionType = "Enforced"

// Reasons of the Enforced condition.
const (
	ReasonEnforced           xpv2.ConditionReason = "Enforced"
	ReasonNotEnforced        xpv2.ConditionReason = "NotEnforced"
	ReasonAcceptedUnenforced xpv2.ConditionReason = "AcceptedUnenforced"
)

// unenforcedMessage says that nothing enforces the rule and what to do.
func unenforcedMessage(backend string) string {
	return "nothing enforces this rule: the " + backend + " backend only records it, and traffic is not filtered; " +
		"set spec.acceptUnenforcedFirewallRules: true in the provider config to accept recorded rules as Ready"
}

// enforcement is the Enforced condition of a rule: True when the backend
// enforces it, else False, with a reason that says whether the provider
// config accepts that.
func enforcement(enforced, accepted bool, backend string) xpv2.Condition {
	c := xpv2.Condition{Type: TypeEnforced, Status: corev1.ConditionTrue, Reason: ReasonEnforced, LastTransitionTime: metav1.Now()}
	switch {
	case enforced:
	case accepted:
		c.Status, c.Reason = corev1.ConditionFalse, ReasonAcceptedUnenforced
		c.Message = "nothing enforces this rule: the " + backend + " backend only records it; the provider config accepts that (acceptUnenforcedFirewallRules)"
	default:
		c.Status, c.Reason, c.Message = corev1.ConditionFalse, ReasonNotEnforced, unenforcedMessage(backend)
	}
	return c
}
