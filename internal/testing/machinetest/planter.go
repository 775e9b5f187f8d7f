package machinetest

import "github.com/dbaas-io/dbaas/internal/clients/ownership"

// A Planter is a Rig that can make machines behind the provider's back, as
// someone with the backend's console would, so that tests show a managed
// resource of the same name does not take them over.
type Planter interface {
	Rig

	// Plant makes a running machine named name directly in the backend,
	// carrying owner's marker in the backend's own form (none when owner is
	// nil).
	Plant(name string, owner *ownership.Owner) error

	// OwnerOf reads the owner marker of the machine named name straight
	// from the backend; nil when it has none.
	OwnerOf(name string) (*ownership.Owner, error)
}
