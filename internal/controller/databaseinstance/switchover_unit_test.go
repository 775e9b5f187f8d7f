package databaseinstance

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSetupOrder: after a failover the replicas that stream are moved to
// the new primary before a former primary rejoins, so that a sync primary's
// commits do not wait for a rewind.
func TestSetupOrder(t *testing.T) {
	ms := func(vms ...string) []member {
		out := make([]member, 0, len(vms))
		for _, vm := range vms {
			out = append(out, member{vm: vm})
		}
		return out
	}
	cases := map[string]struct {
		replicas  []member
		rejoining map[string]bool
		want      []string
	}{
		"NoneRejoins":              {replicas: ms("a", "b"), want: []string{"a", "b"}},
		"FormerPrimaryFirstInSpec": {replicas: ms("a", "b", "c"), rejoining: map[string]bool{"a": true}, want: []string{"b", "c", "a"}},
		"TwoRejoinKeepTheirOrder":  {replicas: ms("a", "b", "c"), rejoining: map[string]bool{"c": true, "a": true}, want: []string{"b", "a", "c"}},
		"AllRejoin":                {replicas: ms("a", "b"), rejoining: map[string]bool{"a": true, "b": true}, want: []string{"a", "b"}},
		"NoReplica":                {want: []string{}},
	}
	for name, tc := range cases {
		got := []string{}
		for _, m := range setupOrder(tc.replicas, tc.rejoining) {
			got = append(got, m.vm)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: setupOrder: -want +got:\n%s", name, diff)
		}
	}
}

// TestFormerPrimaryFromSnapshot: a failover fences, without asking again,
// the members its snapshot saw holding data and not marked a standby.
// (A member the snapshot could not ask is asked through its engine, which
// the integration tests cover: TestPowerOff fences a machine that is off.)
func TestFormerPrimaryFromSnapshot(t *testing.T) {
	e := &external{seen: snapshot{Members: []memberState{
		{VM: "old", Reachable: true, Initialized: true},
		{VM: "new", Reachable: true, Initialized: true, Standby: true},
		{VM: "replica", Reachable: true, Initialized: true, Standby: true},
		{VM: "empty", Reachable: true},
	}}}
	want := map[string]bool{"old": true, "replica": false, "empty": false}
	for vm, w := range want {
		if got := e.formerPrimary(t.Context(), member{vm: vm}, true); got != w {
			t.Errorf("formerPrimary(%s): want %v, got %v", vm, w, got)
		}
	}
	if _, ok := stateOf(e.seen, "gone"); ok {
		t.Error("stateOf(gone): want none")
	}
}
