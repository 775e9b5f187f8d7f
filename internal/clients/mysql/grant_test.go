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

func privileges(t *testing.T, c *Client, u dbms.UserName, db string) []string {
	t.Helper()
	p, err := c.Privileges(context.Background(), u, db)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGrantLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	u := dbms.UserName{Name: "grant_user", Host: "127.0.0.1"}
	const db = "grant_a_b"
	for _, d := range []string{db, "grant_aXb"} {
		if err := c.CreateDatabase(ctx, d, dbms.DatabaseParameters{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.CreateUser(ctx, u, dbms.UserParameters{Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.DropUser(ctx, u, nil)
		_ = c.DropDatabase(ctx, db)
		_ = c.DropDatabase(ctx, "grant_aXb")
	})

	if got := privileges(t, c, u, db); len(got) != 0 {
		t.Errorf("privileges before any grant = %q, want none", got)
	}
	if err := c.Grant(ctx, u, db, []string{"select", "Insert"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"INSERT", "SELECT"}, privileges(t, c, u, db)); diff != "" {
		t.Errorf("after grant: -want, +got:\n%s", diff)
	}

	// The grant reaches that database and no other: _ is not a wildcard.
	userDB, err := srv(t).Open(t, u.Name, "pw", "")
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	rows, err := userDB.QueryContext(ctx, "SHOW DATABASES LIKE 'grant%'")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		seen = append(seen, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{db}, seen); diff != "" {
		t.Errorf("databases the user sees: -want, +got:\n%s", diff)
	}
	if got := privileges(t, c, u, "grant_aXb"); len(got) != 0 {
		t.Errorf("privileges on grant_aXb = %q, want none", got)
	}

	if err := c.Grant(ctx, u, db, []string{"ALL"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(mariadbEngine.privileges, privileges(t, c, u, db)); diff != "" {
		t.Errorf("after GRANT ALL: -want, +got:\n%s", diff)
	}
	if err := c.Revoke(ctx, u, db, []string{"INSERT", "DELETE HISTORY"}); err != nil {
		t.Fatal(err)
	}
	want := slices.DeleteFunc(slices.Clone(mariadbEngine.privileges), func(p string) bool { return p == "INSERT" || p == "DELETE HISTORY" })
	if diff := cmp.Diff(want, privileges(t, c, u, db)); diff != "" {
		t.Errorf("after revoke: -want, +got:\n%s", diff)
	}
	// Revoking what is not held has nothing to do.
	if err := c.Revoke(ctx, u, db, []string{"INSERT"}); err != nil {
		t.Errorf("revoking a privilege not held: %v", err)
	}
	if err := c.Revoke(ctx, u, db, []string{"all privileges"}); err != nil {
		t.Fatal(err)
	}
	if got := privileges(t, c, u, db); len(got) != 0 {
		t.Errorf("after REVOKE ALL = %q, want none", got)
	}
	if err := c.Revoke(ctx, u, db, []string{"ALL"}); err != nil {
		t.Errorf("revoking from an account without a grant: %v", err)
	}
	if err := c.Grant(ctx, u, db, nil); err != nil {
		t.Errorf("granting nothing: %v", err)
	}
}

func TestGrantRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t)
	u := dbms.UserName{Name: "grant_refused"}
	if err := c.CreateUser(ctx, u, dbms.UserParameters{Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DropUser(ctx, u, nil) })
	cases := map[string]struct {
		reason string
		u      dbms.UserName
		db     string
		privs  []string
		want   string
	}{
		"Global":    {reason: "A global privilege is refused, naming the accepted ones", u: u, db: "d", privs: []string{"SELECT", "SUPER"}, want: `"SUPER" is not a MariaDB database privilege: use ALTER, `},
		"Injection": {reason: "Privileges are a whitelist", u: u, db: "d", privs: []string{"SELECT ON *.* TO 'grant_refused'@'%'; --"}, want: "is not a MariaDB database privilege"},
		"System":    {reason: "Grants on the grant tables make administrators", u: u, db: "mysql", privs: []string{"SELECT"}, want: `"mysql" is a system database`},
		"NoUser":    {reason: "The server refuses a grant to an account that does not exist", u: dbms.UserName{Name: "nobody_here"}, db: "d", privs: []string{"SELECT"}, want: "cannot grant privileges"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := c.Grant(ctx, tc.u, tc.db, tc.privs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: Grant = %v, want an error containing %q", tc.reason, err, tc.want)
			}
		})
	}
	if got := privileges(t, c, u, "d"); len(got) != 0 {
		t.Errorf("refused grants gave %q", got)
	}
	if got := privileges(t, c, u, "mysql"); len(got) != 0 {
		t.Errorf("refused grants gave %q on mysql", got)
	}
}
