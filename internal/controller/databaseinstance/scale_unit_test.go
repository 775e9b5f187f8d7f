package databaseinstance

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

func TestDeparted(t *testing.T) {
	recorded := v1alpha1.DatabaseInstanceObservation{
		Primary: "a",
		Members: []v1alpha1.Member{{VirtualMachine: "a"}, {VirtualMachine: "b"}, {VirtualMachine: "c"}},
	}
	cases := map[string]struct {
		reason   string
		vms      []string
		recorded v1alpha1.DatabaseInstanceObservation
		want     []string
	}{
		"Unchanged": {
			reason:   "every recorded member is still listed",
			vms:      []string{"a", "b", "c"},
			recorded: recorded,
		},
		"ReplicaAdded": {
			reason:   "a machine added to the list is no departure",
			vms:      []string{"a", "b", "c", "d"},
			recorded: recorded,
		},
		"ReplicaRemoved": {
			reason:   "the replica of a machine taken off the list departs",
			vms:      []string{"a", "b"},
			recorded: recorded,
			want:     []string{"c"},
		},
		"ReplicaReplaced": {
			reason:   "a replaced machine departs, in the recorded order",
			vms:      []string{"a", "d", "e"},
			recorded: recorded,
			want:     []string{"b", "c"},
		},
		"PrimaryNever": {
			reason:   "the primary's member never departs, even from a spec that drops it (checkMemberChange refuses that)",
			vms:      []string{"b", "c"},
			recorded: recorded,
		},
		"NothingRecorded": {
			reason: "a new instance has no members to remove",
			vms:    []string{"a"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, departed(tc.vms, tc.recorded)); diff != "" {
				t.Errorf("%s\ndeparted(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
