package sqlowner

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

func TestDecide(t *testing.T) {
	me := ownership.Owner{Namespace: "team-a", UID: "0a1b2c3d-0000-4000-8000-000000000001"}
	other := ownership.Owner{Namespace: "team-b", UID: "0a1b2c3d-0000-4000-8000-000000000002"}
	sibling := ownership.Owner{Namespace: "team-a", UID: "0a1b2c3d-0000-4000-8000-000000000003"}
	reserved := dbms.ReservedUser(dbms.PostgreSQL, "postgres", "")
	type want struct {
		d       Decision
		notOwn  bool // a NotOwnedError
		refused bool // the import was asked for and refused
		err     error
	}
	cases := map[string]struct {
		reason   string
		r        Resource
		marker   string
		reserved error
		want     want
	}{
		"Own": {
			reason: "An object with the resource's own marker is managed",
			r:      Resource{Owner: me}, marker: me.Marker(),
			want: want{d: Manage},
		},
		"OwnInLongerText": {
			reason: "The marker is found in a comment that holds more",
			r:      Resource{Owner: me}, marker: "made for orders; " + me.Marker(),
			want: want{d: Manage},
		},
		"Unmarked": {
			reason: "An object without a marker is refused",
			r:      Resource{Owner: me},
			want:   want{d: Refuse, notOwn: true},
		},
		"OtherNamespace": {
			reason: "Another namespace's object is refused",
			r:      Resource{Owner: me}, marker: other.Marker(),
			want: want{d: Refuse, notOwn: true},
		},
		"SameNamespaceOtherResource": {
			reason: "Another resource's object in the same namespace is refused too: two resources never manage one object",
			r:      Resource{Owner: me}, marker: sibling.Marker(),
			want: want{d: Refuse, notOwn: true},
		},
		"ImportAllowed": {
			reason: "An import where the server allows it adopts an unmarked object",
			r:      Resource{Owner: me, WantsImport: true, ImportAllowed: true},
			want:   want{d: Adopt},
		},
		"ImportAllowedOthers": {
			reason: "An import where the server allows it adopts another's object (the platform team chose so)",
			r:      Resource{Owner: me, WantsImport: true, ImportAllowed: true}, marker: other.Marker(),
			want: want{d: Adopt},
		},
		"ImportNotAllowed": {
			reason: "An import through a namespaced ProviderConfig is refused, and says so",
			r:      Resource{Owner: me, WantsImport: true}, marker: other.Marker(),
			want: want{d: Refuse, notOwn: true, refused: true},
		},
		"ImportAllowedNotAsked": {
			reason: "A server that allows imports adopts nothing unless asked",
			r:      Resource{Owner: me, ImportAllowed: true},
			want:   want{d: Refuse, notOwn: true},
		},
		"Reserved": {
			reason: "A reserved name is refused even when imported where imports are allowed",
			r:      Resource{Owner: me, WantsImport: true, ImportAllowed: true}, reserved: reserved,
			want: want{d: Refuse, err: reserved},
		},
		"ReservedEvenIfMarked": {
			reason: "A reserved name is refused even if it carries the resource's marker",
			r:      Resource{Owner: me}, marker: me.Marker(), reserved: reserved,
			want: want{d: Refuse, err: reserved},
		},
		"DeletingNotOwned": {
			reason: "A resource being deleted lets go of an object it does not own, without touching it",
			r:      Resource{Owner: me, Deleting: true}, marker: other.Marker(),
			want: want{d: LetGo, notOwn: true},
		},
		"DeletingReserved": {
			reason: "A resource being deleted lets go of a reserved object",
			r:      Resource{Owner: me, Deleting: true}, reserved: reserved,
			want: want{d: LetGo, err: reserved},
		},
		"DeletingOwn": {
			reason: "A resource being deleted deletes its own object",
			r:      Resource{Owner: me, Deleting: true}, marker: me.Marker(),
			want: want{d: Manage},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d, err := Decide(tc.r, Found{What: `role "orders"`, Marker: tc.marker}, tc.reserved)
			var no *ownership.NotOwnedError
			got := want{d: d, notOwn: errors.As(err, &no), refused: no != nil && no.ImportRefused}
			if !got.notOwn {
				got.err = err
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{}), cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" { //nolint:errorlint // The very error value, not one that wraps it.
				t.Errorf("%s\nDecide: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestOfNamespace(t *testing.T) {
	a := ownership.Owner{Namespace: "team-a", UID: "0a1b2c3d-0000-4000-8000-000000000001"}.Marker()
	b := ownership.Owner{Namespace: "team-b", UID: "0a1b2c3d-0000-4000-8000-000000000002"}.Marker()
	cases := map[string]struct {
		marker string
		ok     bool
		msg    string
	}{
		"Own":      {marker: a, ok: true},
		"Other":    {marker: b, msg: `database "orders" belongs to namespace team-b, not team-a: only databases and users of this namespace can be granted on or to`},
		"Unmarked": {msg: `database "orders" was not made by this provider in namespace team-a (nor imported into it): only databases and users of this namespace can be granted on or to`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := OfNamespace(`database "orders"`, "team-a", tc.marker)
			if (err == nil) != tc.ok || (err != nil && err.Error() != tc.msg) {
				t.Errorf("OfNamespace = %v, want ok %v msg %q", err, tc.ok, tc.msg)
			}
		})
	}
}
