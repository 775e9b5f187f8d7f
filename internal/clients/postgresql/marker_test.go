package postgresql

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// TestMarkedDatabase: a marked database never exists under its own name
// without its marker; a create cut short after CREATE DATABASE is picked up;
// a name taken meanwhile leaves nothing behind and the other database as it
// was.
func TestMarkedDatabase(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	const m = "dbaas.io/owner=team-a/8f4e2b1c-0000-4000-8000-000000000001"
	t.Cleanup(func() {
		for _, n := range []string{"marked", "resumed", "taken"} {
			_ = c.DropDatabase(ctx, n)
		}
	})
	before := databaseNames(t, c)

	if err := c.CreateDatabase(ctx, "marked", DatabaseParameters{Marker: m}); err != nil {
		t.Fatal(err)
	}
	o, err := c.ObserveDatabase(ctx, "marked")
	if err != nil || o == nil || o.Marker != m {
		t.Fatalf("ObserveDatabase after a marked create = %+v, %v; want marker %q", o, err, m)
	}
	if diff := without(databaseNames(t, c), "marked"); !slices.Equal(diff, before) {
		t.Errorf("databases besides the new one changed: before %v, after %v", before, diff)
	}

	// A crash after CREATE DATABASE of the pending name: the next create
	// picks it up.
	const m2 = "dbaas.io/owner=team-a/8f4e2b1c-0000-4000-8000-000000000002"
	q, err := createDatabaseSQL(pendingDatabaseName(m2), "", -1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.conn.Exec(ctx, q); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDatabase(ctx, "resumed", DatabaseParameters{Marker: m2}); err != nil {
		t.Fatalf("a create after a crash between its steps: %v", err)
	}
	if o, err := c.ObserveDatabase(ctx, "resumed"); err != nil || o == nil || o.Marker != m2 {
		t.Errorf("ObserveDatabase of a resumed create = %+v, %v; want marker %q", o, err, m2)
	}

	// A name someone else took: refused, nothing left behind, theirs
	// unmarked.
	if _, err := c.conn.Exec(ctx, `CREATE DATABASE taken`); err != nil {
		t.Fatal(err)
	}
	const m3 = "dbaas.io/owner=team-a/8f4e2b1c-0000-4000-8000-000000000003"
	if err := c.CreateDatabase(ctx, "taken", DatabaseParameters{Marker: m3}); err == nil {
		t.Error("a marked create over an existing database succeeded")
	}
	if o, err := c.ObserveDatabase(ctx, "taken"); err != nil || o == nil || o.Marker != "" {
		t.Errorf("the existing database was changed: %+v, %v", o, err)
	}
	for _, n := range databaseNames(t, c) {
		if strings.HasPrefix(n, pendingDatabasePrefix) {
			t.Errorf("a pending database was left behind: %s", n)
		}
	}

	// An import replaces the marker; quotes in it stay data.
	const m4 = `dbaas.io/owner=team-b/8f4e2b1c-0000-4000-8000-000000000004 it's \ fine`
	if err := c.MarkDatabase(ctx, "taken", m4); err != nil {
		t.Fatal(err)
	}
	if o, err := c.ObserveDatabase(ctx, "taken"); err != nil || o == nil || o.Marker != m4 {
		t.Errorf("ObserveDatabase after MarkDatabase = %+v, %v; want marker %q", o, err, m4)
	}
}

// TestMarkedRole: the role and its marker are made in one transaction, and
// an import replaces the marker.
func TestMarkedRole(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	const m = "dbaas.io/owner=team-a/8f4e2b1c-0000-4000-8000-000000000011"
	u := dbms.UserName{Name: `marked "role"`}
	t.Cleanup(func() { _ = c.DropUser(ctx, u, nil) })
	if err := c.CreateUser(ctx, u, dbms.UserParameters{Password: "pw-1234567890", Marker: m}); err != nil {
		t.Fatal(err)
	}
	if o, err := c.ObserveUser(ctx, u); err != nil || o == nil || o.Marker != m {
		t.Fatalf("ObserveUser = %+v, %v; want marker %q", o, err, m)
	}
	// A marker that cannot be written means no role at all.
	bad := dbms.UserName{Name: "half_made"}
	if err := c.CreateUser(ctx, bad, dbms.UserParameters{Marker: "bad\x00marker"}); err == nil {
		t.Error("a create with an unwritable marker succeeded")
	}
	if o, _ := c.ObserveUser(ctx, bad); o != nil {
		_ = c.DropUser(ctx, bad, nil)
		t.Error("a role was left without its marker")
	}
	const m2 = "dbaas.io/owner=team-b/8f4e2b1c-0000-4000-8000-000000000012"
	if err := c.MarkUser(ctx, u, m2); err != nil {
		t.Fatal(err)
	}
	if o, err := c.ObserveUser(ctx, u); err != nil || o == nil || o.Marker != m2 {
		t.Errorf("ObserveUser after MarkUser = %+v, %v; want marker %q", o, err, m2)
	}
}
