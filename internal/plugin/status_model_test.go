package plugin

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func composedObj(kind, name string, conditions [][4]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"kind": kind, "metadata": map[string]any{"name": name}}}
	var cs []any
	for _, c := range conditions {
		cs = append(cs, map[string]any{"type": c[0], "status": c[1], "reason": c[2], "message": c[3], "lastTransitionTime": "2026-12-07T10:00:00Z"})
	}
	u.Object["status"] = map[string]any{"conditions": cs}
	return u
}

func TestResourceOf(t *testing.T) {
	ref := func(kind, name string) corev1.ObjectReference { return corev1.ObjectReference{Kind: kind, Name: name} }
	cases := map[string]struct {
		reason string
		read   composedRead
		want   Resource
	}{
		"Ready": {
			reason: "A Ready resource needs no message.",
			read:   composedRead{ref: ref("VirtualMachine", "a-0"), obj: composedObj("VirtualMachine", "a-0", [][4]string{{"Ready", "True", "Available", ""}, {"Synced", "True", "ReconcileSuccess", ""}})},
			want:   Resource{Kind: "VirtualMachine", Name: "a-0", Ready: Condition{Status: "True", Reason: "Available"}, Synced: Condition{Status: "True", Reason: "ReconcileSuccess"}},
		},
		"Error": {
			reason: "An error (Synced False) says more than Ready's Creating.",
			read: composedRead{ref: ref(kindDatabaseInstance, "a"), obj: composedObj(kindDatabaseInstance, "a", [][4]string{
				{"Ready", "False", "Creating", ""}, {"Synced", "False", "ReconcileError", "observe failed: boom"},
			})},
			want: Resource{
				Kind: kindDatabaseInstance, Name: "a", Ready: Condition{Status: "False", Reason: "Creating"},
				Synced: Condition{Status: "False", Reason: "ReconcileError", Message: "observe failed: boom"}, Message: "observe failed: boom",
			},
		},
		"NotReadyReasonOnly": {
			reason: "Without a message, Ready's reason.",
			read:   composedRead{ref: ref("User", "a"), obj: composedObj("User", "a", [][4]string{{"Ready", "False", "Creating", ""}, {"Synced", "True", "ReconcileSuccess", ""}})},
			want:   Resource{Kind: "User", Name: "a", Ready: Condition{Status: "False", Reason: "Creating"}, Synced: Condition{Status: "True", Reason: "ReconcileSuccess"}, Message: "Creating"},
		},
		"NotCreated": {
			reason: "A reference to nothing is a resource not created yet.",
			read:   composedRead{ref: ref("User", "a")},
			want:   Resource{Kind: "User", Name: "a", Ready: Condition{Status: unknown}, Synced: Condition{Status: unknown}, Message: msgNotCreated},
		},
		"Unreadable": {
			reason: "A resource that could not be read says why.",
			read:   composedRead{ref: ref("User", "a"), err: errors.New("forbidden: you may not get users.sql.dbaas.io")},
			want:   Resource{Kind: "User", Name: "a", Ready: Condition{Status: unknown}, Synced: Condition{Status: unknown}, Message: "forbidden: you may not get users.sql.dbaas.io"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, resourceOf(tc.read)); diff != "" {
				t.Errorf("%s\nresourceOf(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestStatusOfOrder(t *testing.T) {
	// Core lists resource references in no particular order; status shows
	// them in the order they depend on each other.
	d := xr("a", nil, nil)
	s := statusOf(snapshot{db: asDatabase(d), composed: []composedRead{
		{ref: corev1.ObjectReference{Kind: "Database", Name: "a"}},
		{ref: corev1.ObjectReference{Kind: "User", Name: "a"}},
		{ref: corev1.ObjectReference{Kind: kindDatabaseInstance, Name: "a"}},
		{ref: corev1.ObjectReference{Kind: "VirtualMachine", Name: "a-1"}},
		{ref: corev1.ObjectReference{Kind: "VirtualMachine", Name: "a-0"}},
	}})
	var got []string
	for _, r := range s.Resources {
		got = append(got, r.Kind+"/"+r.Name)
	}
	want := []string{"VirtualMachine/a-0", "VirtualMachine/a-1", "DatabaseInstance/a", "User/a", "Database/a"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statusOf(...).Resources: -want, +got:\n%s", diff)
	}
}

func TestSize(t *testing.T) {
	for in, want := range map[int64]string{0: "0 B", 216: "216 B", 1536: "1.5 KiB", 53477376: "51.0 MiB", 5 << 40: "5.0 TiB"} {
		if got := size(&in); got != want {
			t.Errorf("size(%d): want %s, got %s", in, want, got)
		}
	}
	if got := size(nil); got != "-" {
		t.Errorf("size(nil): want -, got %s", got)
	}
}
