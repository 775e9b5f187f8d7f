package firewallrule

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

func TestEnforcement(t *testing.T) {
	cases := map[string]struct {
		reason            string
		enforced, accepts bool
		want              corev1.ConditionStatus
		wantReason        xpv2.ConditionReason
		wantMessage       string
	}{
		"Enforced":            {reason: "A cloud firewall enforces the rule.", enforced: true, want: corev1.ConditionTrue, wantReason: ReasonEnforced},
		"EnforcedAndAccepted": {reason: "The setting changes nothing for enforced rules.", enforced: true, accepts: true, want: corev1.ConditionTrue, wantReason: ReasonEnforced},
		"NotEnforced":         {reason: "A recorded rule says so and how to accept it.", want: corev1.ConditionFalse, wantReason: ReasonNotEnforced, wantMessage: "set spec.acceptUnenforcedFirewallRules: true"},
		"Accepted":            {reason: "An accepted unenforced rule still says nothing enforces it.", accepts: true, want: corev1.ConditionFalse, wantReason: ReasonAcceptedUnenforced, wantMessage: "nothing enforces this rule: the vsphere backend only records it"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := enforcement(tc.enforced, tc.accepts, "vsphere")
			if c.Type != TypeEnforced || c.Status != tc.want || c.Reason != tc.wantReason || !strings.Contains(c.Message, tc.wantMessage) {
				t.Errorf("%s\nenforcement(%t, %t) = %s %s %s %q; want %s %s containing %q", tc.reason, tc.enforced, tc.accepts, c.Type, c.Status, c.Reason, c.Message, tc.want, tc.wantReason, tc.wantMessage)
			}
		})
	}
}
