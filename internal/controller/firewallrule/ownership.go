package firewallrule

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// Event reasons of the ownership rule.
const (
	reasonLeftBehind event.Reason = "LeftBehind"
	reasonImported   event.Reason = "Imported"
)

// errLeftBehind starts the Warning event of a delete that leaves a rule.
const errLeftBehind = "deleted without touching firewall rule %q, which stays in the backend"

// decide applies the machine contract's one ownership rule to the rule cr
// found by its external name, carrying found.
func decide(cr *v1alpha1.FirewallRule, found *ownership.Owner) (machine.Action, error) {
	return machine.Decide(machine.ClaimBy(`firewall rule "`+meta.GetExternalName(cr)+`"`, cr, found))
}

// leaveBehind says, as a Warning event, that deleting cr does not touch
// the rule of its name because it is not cr's.
func (e *external) leaveBehind(cr *v1alpha1.FirewallRule, why error) {
	e.record.Event(cr, event.Warning(reasonLeftBehind, errors.Wrapf(why, errLeftBehind, meta.GetExternalName(cr))))
}
