package databaseinstance

import (
	"slices"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

const (
	errPrimaryDropped = "spec.forProvider.virtualMachines no longer lists %s, which holds the primary's data (status.atProvider.primary): put it back. " +
		"To retire that machine, switch over first (set spec.forProvider.primary to a replica that has caught up) and remove it once it has become a replica; " +
		"a single instance cannot move to another machine: create a new instance there and copy the data"
	errPrimaryToEmpty = "the primary would move from %s to %s, which holds no copy of the data yet: keep %s first in spec.forProvider.virtualMachines " +
		"(or name it in spec.forProvider.primary) until %s runs as a replica, then switch over to it"
)

// checkMemberChange refuses a spec whose virtualMachines would drop or
// replace the member that holds the instance's data. Observe would find no
// server on the new first machine, and Create would run initdb there: the
// connection secret would move to an empty server and the old data be
// orphaned. recorded is what the last Observe saw: the primary's machine
// and the members, with which of them answered or replayed WAL. Nothing
// recorded means the instance has no data yet, and anything goes. Adding,
// removing or replacing replicas is allowed, and so is a switchover to a
// replica that holds a copy of the data.
func checkMemberChange(p v1alpha1.DatabaseInstanceParameters, recorded v1alpha1.DatabaseInstanceObservation) error {
	have := recorded.Primary
	if have == "" || len(p.VirtualMachines) == 0 {
		// No data yet, or machines that are still to be resolved.
		return nil
	}
	if !slices.Contains(p.VirtualMachines, have) {
		return errors.Errorf(errPrimaryDropped, have)
	}
	want := primaryFirst(p)[0]
	if want == have || holdsData(recorded, want) {
		return nil
	}
	return errors.Errorf(errPrimaryToEmpty, have, want, have, want)
}

// holdsData reports whether the member on vm was last seen with a copy of
// the data: it answered, or reported a WAL position.
func holdsData(recorded v1alpha1.DatabaseInstanceObservation, vm string) bool {
	for _, m := range recorded.Members {
		if m.VirtualMachine == vm && (m.Running || m.LSN != "") {
			return true
		}
	}
	return false
}
