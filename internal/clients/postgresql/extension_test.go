package postgresql

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExtensionSQL(t *testing.T) {
	cases := map[string]struct {
		reason string
		build  func() (string, error)
		want   string
	}{
		"Create": {
			reason: "the name is quoted, so uuid-ossp's dash needs nothing special",
			build:  func() (string, error) { return createExtensionSQL("uuid-ossp") },
			want:   `CREATE EXTENSION IF NOT EXISTS "uuid-ossp"`,
		},
		"CreateHostile": {
			reason: "a name that tries to end the statement stays one identifier",
			build:  func() (string, error) { return createExtensionSQL(`x"; DROP DATABASE app; --`) },
			want:   `CREATE EXTENSION IF NOT EXISTS "x""; DROP DATABASE app; --"`,
		},
		"Comment": {
			reason: "the marker is a literal with its quotes doubled",
			build:  func() (string, error) { return commentOnExtensionSQL("postgis", "dbaas.io/owner=ns/1'2") },
			want:   `COMMENT ON EXTENSION "postgis" IS E'dbaas.io/owner=ns/1''2'`,
		},
		"Drop": {
			reason: "a drop never cascades into the application's objects",
			build:  func() (string, error) { return dropExtensionSQL("vector") },
			want:   `DROP EXTENSION IF EXISTS "vector" RESTRICT`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := tc.build()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want +got:\n%s", tc.reason, diff)
			}
		})
	}
	if _, err := createExtensionSQL(""); err == nil {
		t.Error("createExtensionSQL(\"\"): want an error for an empty name")
	}
}

// TestExtensions creates and drops PostGIS in a database of a real
// PostgreSQL 15, which needs postgresql-15-postgis-3 (make deps), and checks
// pg_extension: the marker is written, an unmarked extension is never
// dropped, and a drop refuses while the application's objects use it.
func TestExtensions(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	const db, mine = "ext_app", "dbaas.io/owner=ns/0000-1"
	if err := c.CreateDatabase(ctx, db, DatabaseParameters{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DropDatabase(context.Background(), db) })

	avail, err := c.AvailableExtensions(ctx, []string{"postgis", "postgis_topology", "pg_trgm", "no_such_extension"})
	if err != nil {
		t.Fatal(err)
	}
	if !avail["postgis"] || !avail["postgis_topology"] || !avail["pg_trgm"] {
		t.Fatalf("postgis, postgis_topology and pg_trgm must be available (make deps installs postgresql-15-postgis-3); got %v", avail)
	}
	if avail["no_such_extension"] {
		t.Error("an extension with no control file is reported available")
	}
	v, err := c.ServerVersion(ctx)
	if err != nil || !strings.HasPrefix(v, "15") {
		t.Fatalf("ServerVersion: %q, %v; want 15.x", v, err)
	}

	for _, n := range []string{"postgis", "postgis_topology"} {
		if err := c.CreateExtension(ctx, db, n, mine); err != nil {
			t.Fatal(err)
		}
	}
	// An application's own extension, created without the provider.
	app, err := server.Conn(t, server.User, server.Password, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Exec(ctx, "CREATE EXTENSION pg_trgm"); err != nil {
		t.Fatal(err)
	}
	// Created again, an existing extension is left as it is.
	if err := c.CreateExtension(ctx, db, "pg_trgm", mine); err != nil {
		t.Fatal(err)
	}
	got, err := c.Extensions(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	markers := map[string]string{}
	for _, e := range got {
		markers[e.Name] = e.Marker
		if e.Version == "" {
			t.Errorf("extension %s has no version", e.Name)
		}
	}
	want := map[string]string{"plpgsql": "PL/pgSQL procedural language", "postgis": mine, "postgis_topology": mine, "pg_trgm": markers["pg_trgm"]}
	if diff := cmp.Diff(want, markers); diff != "" {
		t.Errorf("extensions and their comments: -want +got:\n%s", diff)
	}
	if markers["pg_trgm"] == mine {
		t.Error("an extension the application created was marked as the provider's")
	}

	// The application's table uses PostGIS: the drop is refused, and the
	// table stays.
	if _, err := app.Exec(ctx, "CREATE TABLE places (id int, at geometry(Point, 4326))"); err != nil {
		t.Fatal(err)
	}
	if err := c.DropExtension(ctx, db, "postgis_topology", mine); err != nil {
		t.Fatal(err)
	}
	err = c.DropExtension(ctx, db, "postgis", mine)
	if err == nil || !strings.Contains(err.Error(), "other objects depend on it") {
		t.Fatalf("DropExtension(postgis) with a table using it: want a refusal naming the dependency, got %v", err)
	}
	if _, err := app.Exec(ctx, "DROP TABLE places"); err != nil {
		t.Fatal(err)
	}
	if err := c.DropExtension(ctx, db, "postgis", mine); err != nil {
		t.Fatal(err)
	}
	// Not the provider's: left alone.
	if err := c.DropExtension(ctx, db, "pg_trgm", mine); err != nil {
		t.Fatal(err)
	}
	var left []string
	rows, err := app.Query(ctx, "SELECT extname FROM pg_extension ORDER BY extname")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		left = append(left, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"pg_trgm", "plpgsql"}, left); diff != "" {
		t.Errorf("pg_extension after the drops: -want +got:\n%s", diff)
	}
}
