package plugin

import (
	"testing"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

func TestCheckSwitchover(t *testing.T) {
	instance := func(mutate func(*enginev1alpha1.DatabaseInstance)) *enginev1alpha1.DatabaseInstance {
		in := &enginev1alpha1.DatabaseInstance{}
		in.Spec.ForProvider.Topology = enginev1alpha1.TopologyPrimary
		in.Status.AtProvider.Primary = "vm-0"
		in.Status.AtProvider.Members = []enginev1alpha1.Member{
			{VirtualMachine: "vm-0", Role: enginev1alpha1.RolePrimary, Running: true},
			{VirtualMachine: "vm-1", Role: enginev1alpha1.RoleReplica, Running: true},
			{VirtualMachine: "vm-2", Role: enginev1alpha1.RoleReplica},
		}
		if mutate != nil {
			mutate(in)
		}
		return in
	}
	cases := map[string]struct {
		reason string
		in     *enginev1alpha1.DatabaseInstance
		to     string
		want   string
	}{
		"RunningReplica": {reason: "A running replica may take over.", in: instance(nil), to: "vm-1"},
		"Single": {
			reason: "A single member has nothing to switch over to.",
			in: instance(func(in *enginev1alpha1.DatabaseInstance) {
				in.Spec.ForProvider.Topology = enginev1alpha1.TopologySingle
			}),
			to:   "vm-1",
			want: "it has a single member: there is no replica to switch over to",
		},
		"NotAMember":     {reason: "An unknown name lists the members.", in: instance(nil), to: "vm-9", want: "vm-9 is not one of its members: --to takes one of vm-0, vm-1, vm-2"},
		"AlreadyPrimary": {reason: "The primary cannot be switched to.", in: instance(nil), to: "vm-0", want: "vm-0 is the primary already"},
		"UnderWay": {
			reason: "A switchover asked for already is not asked again.",
			in:     instance(func(in *enginev1alpha1.DatabaseInstance) { in.Spec.ForProvider.Primary = "vm-1" }),
			to:     "vm-1",
			want:   "a switchover to vm-1 is asked for already and under way",
		},
		"RollingRestart": {
			reason: "A rolling restart switches over itself.",
			in: instance(func(in *enginev1alpha1.DatabaseInstance) {
				in.Status.AtProvider.RestartStep = enginev1alpha1.RestartingReplicas
			}),
			to:   "vm-1",
			want: "a rolling restart is under way (RestartingReplicas), which switches over itself: wait until it is done",
		},
		"NotRunning": {reason: "A stopped replica cannot take over.", in: instance(nil), to: "vm-2", want: "vm-2 is not running: only a running replica can take over"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := checkSwitchover(tc.in, tc.to)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("%s\ncheckSwitchover(...): want %q, got %q", tc.reason, tc.want, got)
			}
		})
	}
}
