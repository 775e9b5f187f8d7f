// Package machineowner connects a VirtualMachine or a FirewallRule to its
// machine backend, applies the machine contract's one ownership rule
// (machine.Decide) to what it finds there under its external name, and
// says in events what it imported or left behind. sqlowner does the same
// for SQL objects.
package machineowner

import (
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// Event reasons of the ownership rule.
const (
	ReasonLeftBehind event.Reason = "LeftBehind"
	ReasonImported   event.Reason = "Imported"
)

// errLeftBehind starts the Warning event of a delete that leaves an object.
const errLeftBehind = "deleted without touching %s, which stays in the backend"

// A Noun names the kind of backend object a managed kind makes, such as
// "machine" or "firewall rule", in claims and events.
type Noun string

// of names the object mg makes, by its external name: `machine "db-0"`.
func (n Noun) of(mg metav1.Object) string {
	return string(n) + " " + strconv.Quote(meta.GetExternalName(mg))
}

// Decide applies the ownership rule to the object mg names, found carrying
// found.
func (n Noun) Decide(mg machine.Claimant, found *ownership.Owner) (machine.Action, error) {
	return machine.Decide(machine.ClaimBy(n.of(mg), mg, found))
}

// LeaveBehind says, as a Warning event, that deleting mg does not touch the
// object of its name because it is not mg's.
func (n Noun) LeaveBehind(r event.Recorder, mg resource.Managed, why error) {
	r.Event(mg, event.Warning(ReasonLeftBehind, errors.Wrapf(why, errLeftBehind, n.of(mg))))
}

// Imported says, as a Normal event, that mg imported the object of its name
// and marked it as its own.
func (n Noun) Imported(r event.Recorder, mg resource.Managed) {
	r.Event(mg, event.Normal(ReasonImported, "imported the "+string(n)+" "+meta.GetExternalName(mg)+" and marked it as this resource's"))
}
