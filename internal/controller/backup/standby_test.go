package backup

import (
	"fmt"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/utils/ptr"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/testing/exectest"
)

func TestChooseStandby(t *testing.T) {
	local := func(vm, role string) memberView { return memberView{vm: vm, role: role, local: true} }
	three := []memberView{local("a", enginev1alpha1.RolePrimary), local("b", enginev1alpha1.RoleReplica), local("c", enginev1alpha1.RoleReplica)}
	replica := func(vm, state string, running bool, lag *int64) enginev1alpha1.Member {
		return enginev1alpha1.Member{VirtualMachine: vm, Role: enginev1alpha1.RoleReplica, Running: running, Streaming: state, LagBytes: lag}
	}
	primary := enginev1alpha1.Member{VirtualMachine: "a", Role: enginev1alpha1.RolePrimary, Running: true}
	type want struct {
		choice standbyChoice
		err    error
	}
	cases := map[string]struct {
		reason  string
		members []memberView
		status  []enginev1alpha1.Member
		want    want
	}{
		"LeastBehind": {
			reason:  "Of two streaming replicas, the one least behind is read from.",
			members: three,
			status:  []enginev1alpha1.Member{primary, replica("b", streaming, true, ptr.To[int64](8192)), replica("c", streaming, true, ptr.To[int64](0))},
			want:    want{choice: standbyChoice{replica: "c"}},
		},
		"TieTakesSpecOrder": {
			reason:  "Replicas equally behind are taken in the spec's order, so that a repeated start picks the same one.",
			members: three,
			status:  []enginev1alpha1.Member{primary, replica("c", streaming, true, nil), replica("b", streaming, true, nil)},
			want:    want{choice: standbyChoice{replica: "b"}},
		},
		"OnlyStreamingCount": {
			reason:  "A replica catching up, or not connected, is not read from.",
			members: three,
			status:  []enginev1alpha1.Member{primary, replica("b", "catchup", true, ptr.To[int64](0)), replica("c", streaming, true, ptr.To[int64](1<<20))},
			want:    want{choice: standbyChoice{replica: "c"}},
		},
		"NoneStreamingFallsBack": {
			reason:  "With no replica streaming, the backup is read from the primary, saying why of each replica.",
			members: three,
			status:  []enginev1alpha1.Member{primary, replica("b", "catchup", true, nil), replica("c", "", false, nil)},
			want: want{choice: standbyChoice{fallback: fmt.Sprintf(msgNoStandby, "db",
				fmt.Sprintf(msgNotStream, "b", "catchup")+"; "+fmt.Sprintf(msgNotStream, "c", msgStopped), "a")}},
		},
		"UnrecordedIsNotConnected": {
			reason:  "A replica the status does not list yet, or lists without a stream, is not connected as far as is known.",
			members: three,
			status:  []enginev1alpha1.Member{primary, replica("c", "", true, nil)},
			want: want{choice: standbyChoice{fallback: fmt.Sprintf(msgNoStandby, "db",
				fmt.Sprintf(msgNotStream, "b", msgNotConnected)+"; "+fmt.Sprintf(msgNotStream, "c", msgNotConnected), "a")}},
		},
		"SingleFallsBack": {
			reason:  "An instance without replicas is backed up from its primary.",
			members: three[:1],
			status:  []enginev1alpha1.Member{primary},
			want:    want{choice: standbyChoice{fallback: fmt.Sprintf(msgNoStandby, "db", msgNoReplica, "a")}},
		},
		"OverSSHRefused": {
			reason:  "Members reached over SSH cannot reach each other's servers as local ones: refused, not read from the primary in silence.",
			members: []memberView{{vm: "a", role: enginev1alpha1.RolePrimary}, {vm: "b", role: enginev1alpha1.RoleReplica}},
			status:  []enginev1alpha1.Member{primary, replica("b", streaming, true, nil)},
			want:    want{err: errors.Errorf(errStandbyOverSSH, "db")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := chooseStandby("db", tc.members, tc.status)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nchooseStandby(): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.choice, got, cmp.AllowUnexported(standbyChoice{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nchooseStandby(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestOnProviderHost(t *testing.T) {
	cases := map[string]struct {
		exec executor.Executor
		want bool
	}{
		"Local":        {exec: executor.Local{}, want: true},
		"LocalPointer": {exec: &executor.Local{}, want: true},
		"Other":        {exec: &exectest.Recorder{}, want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := onProviderHost(tc.exec); got != tc.want {
				t.Errorf("onProviderHost(%T) = %t, want %t", tc.exec, got, tc.want)
			}
		})
	}
}
