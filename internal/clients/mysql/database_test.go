/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package mysql

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

func TestDatabaseLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	const name = "lifecycle_db"

	if o, err := c.ObserveDatabase(ctx, name); err != nil || o != nil {
		t.Fatalf("ObserveDatabase before create: %v, %v; want nil, nil", o, err)
	}
	if err := c.CreateDatabase(ctx, name, dbms.DatabaseParameters{CharacterSet: "latin1", Collation: "latin1_bin"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DropDatabase(ctx, name) })
	o, err := c.ObserveDatabase(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&dbms.DatabaseObservation{CharacterSet: "latin1", Collation: "latin1_bin"}, o); diff != "" {
		t.Errorf("after create: -want, +got:\n%s", diff)
	}

	// A name that differs only in case or accents is another database.
	for _, other := range []string{"LIFECYCLE_DB", "lifecycle_dB", "lifécycle_db"} {
		if o, err := c.ObserveDatabase(ctx, other); err != nil || o != nil {
			t.Errorf("ObserveDatabase(%q) = %v, %v; want nil, nil", other, o, err)
		}
	}

	if err := c.UpdateDatabase(ctx, name, dbms.DatabaseParameters{CharacterSet: "utf8mb4", Collation: "utf8mb4_unicode_ci"}); err != nil {
		t.Fatal(err)
	}
	o, err = c.ObserveDatabase(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&dbms.DatabaseObservation{CharacterSet: "utf8mb4", Collation: "utf8mb4_unicode_ci"}, o); diff != "" {
		t.Errorf("after update: -want, +got:\n%s", diff)
	}
	// Nothing to change is no statement.
	if err := c.UpdateDatabase(ctx, name, dbms.DatabaseParameters{}); err != nil {
		t.Errorf("an update without settings: %v", err)
	}

	// A session in the database does not stop the drop.
	cfg := adminConfig(t)
	cfg.Database = name
	busy, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = busy.Close(ctx) }()
	if err := c.DropDatabase(ctx, name); err != nil {
		t.Fatal(err)
	}
	if o, err := c.ObserveDatabase(ctx, name); err != nil || o != nil {
		t.Errorf("ObserveDatabase after drop: %v, %v; want nil, nil", o, err)
	}
	if err := c.DropDatabase(ctx, name); err != nil {
		t.Errorf("dropping a database that is gone: %v; want no error", err)
	}
}

func TestCreateDatabaseDefaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	const name = "defaults_db"
	if err := c.CreateDatabase(ctx, name, dbms.DatabaseParameters{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DropDatabase(ctx, name) })
	o, err := c.ObserveDatabase(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	// The server's defaults (mariadbtest sets Debian's).
	if diff := cmp.Diff(&dbms.DatabaseObservation{CharacterSet: "utf8mb4", Collation: "utf8mb4_general_ci"}, o); diff != "" {
		t.Errorf("-want, +got:\n%s", diff)
	}
}

func TestDatabaseRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	cases := map[string]struct {
		reason string
		name   string
		p      dbms.DatabaseParameters
		want   string
	}{
		"Owner":           {reason: "An owner is PostgreSQL's", name: "r1", p: dbms.DatabaseParameters{Owner: "bob"}, want: "owner is a PostgreSQL setting; MariaDB databases have no owner"},
		"Encoding":        {reason: "An encoding is PostgreSQL's", name: "r2", p: dbms.DatabaseParameters{Encoding: "UTF8"}, want: "encoding is a PostgreSQL setting; MariaDB databases take a characterSet instead"},
		"ConnectionLimit": {reason: "A database connection limit is PostgreSQL's", name: "r3", p: dbms.DatabaseParameters{ConnectionLimit: ptr[int32](3)}, want: "connectionLimit is a PostgreSQL setting"},
		"UnknownCharset":  {reason: "The server refuses a character set it does not know", name: "r4", p: dbms.DatabaseParameters{CharacterSet: "nope"}, want: "Unknown character set"},
		"BadCollation":    {reason: "A collation that is not a name is refused", name: "r5", p: dbms.DatabaseParameters{Collation: "utf8mb4_bin; DROP DATABASE mysql"}, want: "must match"},
		"Mismatch":        {reason: "The server refuses a collation of another character set", name: "r6", p: dbms.DatabaseParameters{CharacterSet: "latin1", Collation: "utf8mb4_bin"}, want: "COLLATION 'utf8mb4_bin' is not valid for CHARACTER SET 'latin1'"},
		"System":          {reason: "The server's own databases are not managed", name: "mysql", want: `"mysql" is a system database`},
		"Long":            {reason: "A name the server would refuse is refused first", name: strings.Repeat("d", 65), want: "must be at most 64 characters"},
		"TrailingSpace":   {reason: "A trailing space is refused", name: "r7 ", want: "must not end with white space"},
		"Emoji":           {reason: "Characters beyond the BMP cannot be stored", name: "r8😀", want: "must not contain U+1F600"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := c.CreateDatabase(ctx, tc.name, tc.p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), errCreateDatabase) {
				t.Errorf("%s: CreateDatabase = %v, want an error containing %q", tc.reason, err, tc.want)
			}
		})
	}
	if err := c.UpdateDatabase(ctx, "r1", dbms.DatabaseParameters{Owner: "bob"}); err == nil || !strings.Contains(err.Error(), "no owner") {
		t.Errorf("UpdateDatabase with an owner = %v, want it refused", err)
	}
	if err := c.DropDatabase(ctx, "MySQL"); err == nil {
		t.Error("DropDatabase(MySQL) succeeded; the system database must be refused in any case")
	}
	// Other tests run alongside, so only what these statements could have
	// touched is checked.
	after := srv(t).Databases(t)
	if !slices.Contains(after, "mysql") {
		t.Error("the mysql database is gone")
	}
	for _, d := range []string{"r1", "r2", "r3", "r4", "r5", "r6", "r7", "r7 "} {
		if slices.Contains(after, d) {
			t.Errorf("a refused create made database %q", d)
		}
	}
}
