package databaseinstance

import (
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

func TestCheckMemberChange(t *testing.T) {
	single := func(vms ...string) v1alpha1.DatabaseInstanceParameters {
		return v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologySingle, VirtualMachines: vms}
	}
	primary := func(named string, vms ...string) v1alpha1.DatabaseInstanceParameters {
		r := int32(len(vms) - 1)
		return v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary, Replicas: &r, Primary: named, VirtualMachines: vms}
	}
	seen := func(primary string, replicas ...v1alpha1.Member) v1alpha1.DatabaseInstanceObservation {
		ms := append([]v1alpha1.Member{{VirtualMachine: primary, Role: v1alpha1.RolePrimary, Running: true, LSN: "0/3000000"}}, replicas...)
		return v1alpha1.DatabaseInstanceObservation{Primary: primary, Members: ms}
	}
	streaming := func(vm string) v1alpha1.Member {
		return v1alpha1.Member{VirtualMachine: vm, Role: v1alpha1.RoleReplica, Running: true, LSN: "0/3000000"}
	}
	empty := func(vm string) v1alpha1.Member {
		return v1alpha1.Member{VirtualMachine: vm, Role: v1alpha1.RoleReplica}
	}

	cases := map[string]struct {
		reason   string
		p        v1alpha1.DatabaseInstanceParameters
		recorded v1alpha1.DatabaseInstanceObservation
		want     string // a part of the error; empty: allowed
	}{
		"New": {
			reason: "an instance without data may run anywhere",
			p:      single("b"),
		},
		"Unresolved": {
			reason:   "machines still to be resolved are not judged",
			p:        single(),
			recorded: seen("a"),
		},
		"Unchanged": {
			reason:   "the same machine keeps its data",
			p:        single("a"),
			recorded: seen("a"),
		},
		"SingleMoved": {
			reason:   "a single instance moved to another machine would be initialised empty there",
			p:        single("b"),
			recorded: seen("a"),
			want:     "no longer lists a, which holds the primary's data",
		},
		"PrimaryDropped": {
			reason:   "dropping the primary's machine drops the data",
			p:        primary("", "b", "c"),
			recorded: seen("a", streaming("b")),
			want:     "no longer lists a",
		},
		"ReplicaReplaced": {
			reason:   "a replica may move to another machine: it is copied from the primary",
			p:        primary("", "a", "c"),
			recorded: seen("a", streaming("b")),
		},
		"ReplicaAdded": {
			reason:   "a replica may be added",
			p:        primary("", "a", "b", "c"),
			recorded: seen("a", streaming("b")),
		},
		"PrimaryMovedToNewMachine": {
			reason:   "the first machine is the primary: a new one there would be initialised empty",
			p:        primary("", "c", "a"),
			recorded: seen("a", streaming("b")),
			want:     "the primary would move from a to c, which holds no copy of the data yet",
		},
		"PrimaryNamedNewMachine": {
			reason:   "naming a machine that holds no copy as the primary is the same move",
			p:        primary("c", "a", "c"),
			recorded: seen("a", empty("c")),
			want:     "the primary would move from a to c",
		},
		"Switchover": {
			reason:   "a replica that holds a copy may become the primary",
			p:        primary("b", "a", "b"),
			recorded: seen("a", streaming("b")),
		},
		"ReorderedToReplica": {
			reason:   "putting a replica first is a switchover to it",
			p:        primary("", "b", "a"),
			recorded: seen("a", streaming("b")),
		},
		"AfterFailover": {
			reason:   "after a failover the spec names the new primary, which the status already shows",
			p:        primary("b", "a", "b"),
			recorded: seen("b", v1alpha1.Member{VirtualMachine: "a", Role: v1alpha1.RoleReplica}),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := checkMemberChange(tc.p, tc.recorded)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s\ncheckMemberChange(...): want allowed, got %v", tc.reason, err)
			case tc.want != "" && err == nil:
				t.Errorf("%s\ncheckMemberChange(...): want refused with %q, got allowed", tc.reason, tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("%s\ncheckMemberChange(...): want %q in the error, got %v", tc.reason, tc.want, err)
			}
		})
	}
}
