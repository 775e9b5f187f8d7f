package mysql

import (
	"context"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// TestMarkedAccount: an account's marker is recorded before it is made, read
// back by ObserveUser, refused when another's is recorded, replaced on
// import and removed with the account.
func TestMarkedAccount(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	const m = "dbaas.io/owner=team-a/8f4e2b1c-0000-4000-8000-000000000021"
	const other = "dbaas.io/owner=team-b/8f4e2b1c-0000-4000-8000-000000000022"
	u := dbms.UserName{Name: "marked'acct", Host: "%"}
	t.Cleanup(func() { _ = c.DropUser(ctx, u, nil) })

	if err := c.CreateUser(ctx, u, dbms.UserParameters{Password: "pw-1234567890", Marker: m}); err != nil {
		t.Fatal(err)
	}
	if o, err := c.ObserveUser(ctx, u); err != nil || o == nil || o.Marker != m {
		t.Fatalf("ObserveUser = %+v, %v; want marker %q", o, err, m)
	}
	if err := c.MarkUser(ctx, u, other); err != nil {
		t.Fatal(err)
	}
	if o, err := c.ObserveUser(ctx, u); err != nil || o == nil || o.Marker != other {
		t.Fatalf("ObserveUser after MarkUser = %+v, %v; want marker %q", o, err, other)
	}
	if err := c.DropUser(ctx, u, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := c.ownerOf(ctx, ownedAccount, u.Name, "%"); err != nil || got != "" {
		t.Errorf("the record outlived its account: %q, %v", got, err)
	}

	// A record of another owner's (a create of theirs cut short) keeps
	// this one from making the account.
	if err := c.setOwner(ctx, ownedAccount, u.Name, "%", other); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateUser(ctx, u, dbms.UserParameters{Password: "pw-1234567890", Marker: m}); err == nil {
		t.Error("an account recorded as another's was made")
	}
	if o, _ := c.ObserveUser(ctx, u); o != nil {
		t.Error("the account exists after a refused create")
	}
	_ = c.forgetOwner(ctx, ownedAccount, u.Name, "%")

	// An account that appeared meanwhile: the create fails and the fresh
	// record goes, so the newcomer is not taken for ours.
	exec(t, "CREATE USER 'marked''acct'@'%'")
	if err := c.CreateUser(ctx, u, dbms.UserParameters{Password: "pw-1234567890", Marker: m}); err == nil {
		t.Error("a create over an existing account succeeded")
	}
	if o, err := c.ObserveUser(ctx, u); err != nil || o == nil || o.Marker != "" {
		t.Errorf("the existing account = %+v, %v; want it unmarked", o, err)
	}
}

// TestMarkedDatabase: a MariaDB database carries its marker as a comment
// made with it; an import replaces it.
func TestMarkedDatabase(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	const m = "dbaas.io/owner=team-a/8f4e2b1c-0000-4000-8000-000000000031"
	t.Cleanup(func() { _ = c.DropDatabase(ctx, "marked_db") })
	if err := c.CreateDatabase(ctx, "marked_db", dbms.DatabaseParameters{Marker: m}); err != nil {
		t.Fatal(err)
	}
	if o, err := c.ObserveDatabase(ctx, "marked_db"); err != nil || o == nil || o.Marker != m {
		t.Fatalf("ObserveDatabase = %+v, %v; want marker %q", o, err, m)
	}
	// Changing the collation keeps the marker.
	if err := c.UpdateDatabase(ctx, "marked_db", dbms.DatabaseParameters{Collation: "utf8mb4_bin", Marker: m}); err != nil {
		t.Fatal(err)
	}
	const other = "dbaas.io/owner=team-b/8f4e2b1c-0000-4000-8000-000000000032 it's"
	if err := c.MarkDatabase(ctx, "marked_db", other); err != nil {
		t.Fatal(err)
	}
	if o, err := c.ObserveDatabase(ctx, "marked_db"); err != nil || o == nil || o.Marker != other || o.Collation != "utf8mb4_bin" {
		t.Errorf("ObserveDatabase after MarkDatabase = %+v, %v; want marker %q and the collation kept", o, err, other)
	}
}
