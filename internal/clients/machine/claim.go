package machine

import "github.com/dbaas-io/dbaas/internal/clients/ownership"

// An Action is what a managed resource does with a machine or rule it
// found by its external name.
type Action int

const (
	// Manage means the object carries the resource's own marker.
	Manage Action = iota
	// Adopt means an import the platform allows: the marker is written,
	// then the object is managed.
	Adopt
	// Refuse means the object is not the resource's: nothing is changed
	// and the resource reports why (Synced=False).
	Refuse
	// LeaveBehind means the resource is being deleted and the object is
	// not its own: the resource finishes deleting and the object stays as it
	// is.
	LeaveBehind
)

func (a Action) String() string {
	return [...]string{"Manage", "Adopt", "Refuse", "LeaveBehind"}[a]
}

// A Claim is what a managed resource knows when it finds an object of its
// name in a backend.
type Claim struct {
	// What names the object for people, such as `vSphere VM "db-0"`.
	What string
	// Owner is the managed resource.
	Owner ownership.Owner
	// Found is the marker on the object; nil when it has none.
	Found *ownership.Owner
	// WantsImport is the resource's dbaas.io/import annotation.
	WantsImport bool
	// ImportAllowed is true when the resource uses a ClusterProviderConfig:
	// only the platform's backends allow imports.
	ImportAllowed bool
	// Deleting is true once the resource has a deletion timestamp.
	Deleting bool
}

// Decide is the one rule every backend's machines and rules follow. The
// error, when there is one, says why the object is not the resource's (an
// ownership.NotOwnedError): it is the Synced message of a refusal and the
// Warning event of a LeaveBehind.
//
// A resource being deleted destroys only what carries its own marker. An
// import that has not been marked yet is left behind too: the object was
// never adopted, so deleting the resource must not destroy it.
func Decide(c Claim) (Action, error) {
	if c.Found != nil && *c.Found == c.Owner {
		return Manage, nil
	}
	if c.Deleting {
		return LeaveBehind, &ownership.NotOwnedError{What: c.What, Found: c.Found}
	}
	if err := ownership.Check(c.What, c.Owner, c.Found, c.WantsImport, c.ImportAllowed); err != nil {
		return Refuse, err
	}
	return Adopt, nil
}
