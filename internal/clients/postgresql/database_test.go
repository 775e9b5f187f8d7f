package postgresql

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

func TestDatabaseLifecycle(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	if err := c.CreateUser(ctx, user("db_owner_a"), dbms.UserParameters{}); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateUser(ctx, user("db_owner_b"), dbms.UserParameters{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.DropUser(ctx, user("db_owner_a"), nil)
		_ = c.DropUser(ctx, user("db_owner_b"), nil)
	})

	if o, err := c.ObserveDatabase(ctx, "lifecycle"); err != nil || o != nil {
		t.Fatalf("ObserveDatabase before create: %v, %v; want nil, nil", o, err)
	}
	if err := c.CreateDatabase(ctx, "lifecycle", DatabaseParameters{Owner: "db_owner_a", Encoding: "SQL_ASCII", ConnectionLimit: ptr[int32](7)}); err != nil {
		t.Fatal(err)
	}
	o, err := c.ObserveDatabase(ctx, "lifecycle")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&DatabaseObservation{Owner: "db_owner_a", Encoding: "SQL_ASCII", ConnectionLimit: ptr[int32](7)}, o); diff != "" {
		t.Errorf("after create: -want, +got:\n%s", diff)
	}

	if err := c.UpdateDatabase(ctx, "lifecycle", DatabaseParameters{Owner: "db_owner_b", ConnectionLimit: ptr[int32](-1)}); err != nil {
		t.Fatal(err)
	}
	o, err = c.ObserveDatabase(ctx, "lifecycle")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&DatabaseObservation{Owner: "db_owner_b", Encoding: "SQL_ASCII", ConnectionLimit: ptr[int32](-1)}, o); diff != "" {
		t.Errorf("after update: -want, +got:\n%s", diff)
	}

	// A session on the database must not stop the drop.
	cfg := adminConfig()
	cfg.Database = "lifecycle"
	busy, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = busy.Close(ctx) }()
	if err := c.DropDatabase(ctx, "lifecycle"); err != nil {
		t.Fatal(err)
	}
	if o, err := c.ObserveDatabase(ctx, "lifecycle"); err != nil || o != nil {
		t.Errorf("ObserveDatabase after drop: %v, %v; want nil, nil", o, err)
	}
	if err := c.DropDatabase(ctx, "lifecycle"); err != nil {
		t.Errorf("dropping a database that is gone: %v; want no error", err)
	}
}

func TestCreateDatabaseErrors(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	cases := map[string]struct {
		reason string
		name   string
		p      DatabaseParameters
	}{
		"UnknownEncoding": {reason: "An encoding the server does not know is rejected", name: "enc1", p: DatabaseParameters{Encoding: "NOPE"}},
		"BadEncoding":     {reason: "An encoding with other characters is rejected before it is used", name: "enc2", p: DatabaseParameters{Encoding: "UTF8' TEMPLATE x"}},
		"MissingOwner":    {reason: "An owner that does not exist is an error", name: "enc3", p: DatabaseParameters{Owner: "no_such_role"}},
	}
	before := databaseNames(t, c)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if err := c.CreateDatabase(ctx, tc.name, tc.p); err == nil {
				t.Errorf("%s: CreateDatabase succeeded", tc.reason)
			}
		})
	}
	if diff := cmp.Diff(before, databaseNames(t, c)); diff != "" {
		t.Errorf("failed creates changed the databases: -before, +after:\n%s", diff)
	}
}

// TestDatabaseInjection creates a database whose name is an attack and checks
// that exactly that database, and nothing else, appeared.
func TestDatabaseInjection(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	const name = `x"; DROP DATABASE postgres; --`
	before := databaseNames(t, c)
	if err := c.CreateDatabase(ctx, name, DatabaseParameters{ConnectionLimit: ptr[int32](2)}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, without(databaseNames(t, c), name)); diff != "" {
		t.Errorf("other databases changed: -before, +after:\n%s", diff)
	}
	if o, err := c.ObserveDatabase(ctx, name); err != nil || o == nil || *o.ConnectionLimit != 2 {
		t.Errorf("ObserveDatabase(%q) = %v, %v; want it with connection limit 2", name, o, err)
	}
	if err := c.UpdateDatabase(ctx, name, DatabaseParameters{ConnectionLimit: ptr[int32](3)}); err != nil {
		t.Fatal(err)
	}
	if err := c.DropDatabase(ctx, name); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, databaseNames(t, c)); diff != "" {
		t.Errorf("after drop: -before, +after:\n%s", diff)
	}
}
