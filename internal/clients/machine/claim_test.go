package machine

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

func TestDecide(t *testing.T) {
	me := ownership.Owner{Namespace: "team-a", UID: "uid-1"}
	other := ownership.Owner{Namespace: "team-b", UID: "uid-2"}
	older := ownership.Owner{Namespace: "team-a", UID: "uid-0"}
	const what = `VM "db-0"`
	type want struct {
		action Action
		err    *ownership.NotOwnedError
	}
	cases := map[string]struct {
		reason string
		claim  Claim
		want   want
	}{
		"Mine": {
			reason: "An object with the resource's own marker is managed.",
			claim:  Claim{Found: &me},
			want:   want{action: Manage},
		},
		"MineWhileDeleting": {
			reason: "Only an object with the resource's own marker is deleted with it.",
			claim:  Claim{Found: &me, Deleting: true},
			want:   want{action: Manage},
		},
		"NoMarker": {
			reason: "An object nobody marked is refused, and the message says how to import it.",
			claim:  Claim{},
			want:   want{action: Refuse, err: &ownership.NotOwnedError{What: what}},
		},
		"OtherNamespace": {
			reason: "Another namespace's object is refused.",
			claim:  Claim{Found: &other},
			want:   want{action: Refuse, err: &ownership.NotOwnedError{What: what, Found: &other}},
		},
		"SameNamespaceOtherResource": {
			reason: "An object of an earlier resource of the same name (orphaned) is not taken over silently.",
			claim:  Claim{Found: &older},
			want:   want{action: Refuse, err: &ownership.NotOwnedError{What: what, Found: &older}},
		},
		"ImportThroughClusterConfig": {
			reason: "An import through a ClusterProviderConfig adopts an unmarked object.",
			claim:  Claim{WantsImport: true, ImportAllowed: true},
			want:   want{action: Adopt},
		},
		"ImportOfOthersThroughClusterConfig": {
			reason: "The platform may move an object from one resource to another.",
			claim:  Claim{Found: &other, WantsImport: true, ImportAllowed: true},
			want:   want{action: Adopt},
		},
		"ImportThroughNamespacedConfig": {
			reason: "A namespaced ProviderConfig's import is refused, saying so.",
			claim:  Claim{WantsImport: true},
			want:   want{action: Refuse, err: &ownership.NotOwnedError{What: what, ImportRefused: true}},
		},
		"ImportOfOthersThroughNamespacedConfig": {
			reason: "A namespace cannot import another namespace's object.",
			claim:  Claim{Found: &other, WantsImport: true},
			want:   want{action: Refuse, err: &ownership.NotOwnedError{What: what, Found: &other, ImportRefused: true}},
		},
		"NotMineWhileDeleting": {
			reason: "Deleting a resource that never owned the object leaves the object alone.",
			claim:  Claim{Found: &other, Deleting: true},
			want:   want{action: LeaveBehind, err: &ownership.NotOwnedError{What: what, Found: &other}},
		},
		"UnmarkedWhileDeleting": {
			reason: "An unmarked object is left alone by a delete.",
			claim:  Claim{Deleting: true},
			want:   want{action: LeaveBehind, err: &ownership.NotOwnedError{What: what}},
		},
		"ImportNotYetMarkedWhileDeleting": {
			reason: "An import that was never marked was never adopted: the delete leaves it.",
			claim:  Claim{WantsImport: true, ImportAllowed: true, Deleting: true},
			want:   want{action: LeaveBehind, err: &ownership.NotOwnedError{What: what}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tc.claim.What, tc.claim.Owner = what, me
			action, err := Decide(tc.claim)
			var got *ownership.NotOwnedError
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("%s\nDecide: %v is not a NotOwnedError", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, want{action: action, err: got}, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nDecide: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
