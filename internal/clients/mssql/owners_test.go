package mssql

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// ownerRead is the statement that reads an object's ownership marker.
func ownerRead(kind, database, name string) sent {
	return asQuery(inDB(ownerDatabase, selectOwnerSQL, skipIfMissing, keyParam(ownerKey(kind, database, name))))
}

// ownerForget is the statement that removes an object's marker.
func ownerForget(kind, database, name string) sent {
	return inDB(ownerDatabase, forgetOwnerSQL, skipIfMissing, keyParam(ownerKey(kind, database, name)))
}

func ownerAdd(kind, database, name, marker string) sent {
	return inDB(ownerDatabase, addOwnerSQL, failIfMissing, keyParam(ownerKey(kind, database, name)), valueParam(marker))
}

func ownerSet(kind, database, name, marker string) sent {
	return inDB(ownerDatabase, setOwnerSQL, failIfMissing, keyParam(ownerKey(kind, database, name)), valueParam(marker))
}

const marker = "dbaas.io/owner=team-a/8f4e2b1c-0000-4000-8000-000000000001"

// TestMarkers: the marker is written in master before the object is made,
// read back by Observe, refused when another's, removed when the object
// cannot be made, and replaced on import; names and markers are bound.
func TestMarkers(t *testing.T) {
	markerRow := func(m string) reply { return rows([]string{"value"}, row(m)) }
	noRow := rows([]string{"value"})
	cases := map[string]struct {
		reason  string
		replies []reply
		do      func(c *Client) error
		want    []sent
		err     []string
	}{
		"CreateLogin": {
			reason:  "A login's marker is added in master before the login is made",
			replies: []reply{noRow},
			do: func(c *Client) error {
				return c.CreateUser(context.Background(), dbms.UserName{Name: hostile}, dbms.UserParameters{Password: evilPassword, Marker: marker})
			},
			want: []sent{ownerRead(ownedLogin, "", hostile), ownerAdd(ownedLogin, "", hostile, marker), loginSQL(hostile, evilPassword)},
		},
		"CreateLoginOthers": {
			reason:  "A login marked as another's is not made",
			replies: []reply{markerRow("dbaas.io/owner=team-b/8f4e2b1c-0000-4000-8000-000000000002")},
			do: func(c *Client) error {
				return c.CreateUser(context.Background(), dbms.UserName{Name: "app"}, dbms.UserParameters{Password: "pw-12345678", Marker: marker})
			},
			want: []sent{ownerRead(ownedLogin, "", "app")},
			err:  []string{errCreateUser, `user "app" is already marked as another resource's`},
		},
		"CreateLoginFails": {
			reason:  "A login that cannot be made takes its fresh marker with it",
			replies: []reply{noRow, {}, {Err: serverErr}},
			do: func(c *Client) error {
				return c.CreateUser(context.Background(), dbms.UserName{Name: "app"}, dbms.UserParameters{Password: "pw-12345678", Marker: marker})
			},
			want: []sent{ownerRead(ownedLogin, "", "app"), ownerAdd(ownedLogin, "", "app", marker), loginSQL("app", "pw-12345678"), ownerForget(ownedLogin, "", "app")},
			err:  []string{errCreateUser},
		},
		"MarkLogin": {
			reason: "An import replaces the login's marker",
			do: func(c *Client) error {
				return c.MarkUser(context.Background(), dbms.UserName{Name: "app"}, marker)
			},
			want: []sent{ownerSet(ownedLogin, "", "app", marker)},
		},
		"MarkDatabase": {
			reason: "An import replaces the database's marker",
			do: func(c *Client) error {
				return c.MarkDatabase(context.Background(), hostile, marker)
			},
			want: []sent{ownerSet(ownedDatabase, "", hostile, marker)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, s := newFakeClient(t, tc.replies...)
			err := tc.do(c)
			if len(tc.err) == 0 && err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			if len(tc.err) > 0 {
				checkErr(t, tc.reason, err, tc.err...)
			}
			if diff := cmp.Diff(tc.want, s.statements()); diff != "" {
				t.Errorf("%s\nsent: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestObserveMarker: Observe reads the marker of what it finds.
func TestObserveMarker(t *testing.T) {
	c, _ := newFakeClient(t, rows([]string{"collation_name"}, row("Latin1_General_100_CI_AS_SC_UTF8")), rows([]string{"value"}, row(marker)))
	o, err := c.ObserveDatabase(context.Background(), "app")
	if err != nil {
		t.Fatal(err)
	}
	if o.Marker != marker {
		t.Errorf("ObserveDatabase marker = %q, want %q", o.Marker, marker)
	}
}
