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

package mssql

import (
	"context"
	"database/sql/driver"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	mssql "github.com/microsoft/go-mssqldb"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

func TestPrivileges(t *testing.T) {
	cols := []string{"permission_name"}
	observe := asQuery(inDB("appdb", observePrivilegesSQL, skipIfMissing, nameParam(hostile)))
	type want struct {
		Privs []string
		Sent  []sent
		Err   []string
	}
	cases := map[string]struct {
		reason  string
		replies []reply
		want    want
	}{
		"Granted": {
			reason: "Permissions are read in the database, upper-cased, sorted and de-duplicated; CONNECT and unmanaged ones are left out",
			replies: []reply{rows(cols,
				row("SELECT"), row("insert"), row("CONNECT"), row("ALTER ANY USER"), row("CREATE TABLE"), row("SELECT"))},
			want: want{Privs: []string{"CREATE TABLE", "INSERT", "SELECT"}, Sent: []sent{observe}},
		},
		"None": {
			reason:  "A user without grants, or a database or user that is gone, holds none",
			replies: []reply{{}},
			want:    want{Privs: []string{}, Sent: []sent{observe}},
		},
		"Error": {
			reason:  "A failure says what could not be done",
			replies: []reply{{Err: mssql.Error{Number: 916, Message: "not able to access the database"}}},
			want:    want{Sent: []sent{observe}, Err: []string{errObservePrivileges, "not able to access"}},
		},
		"RowError": {
			reason:  "A failure while the rows come is an error too",
			replies: []reply{{Sets: []set{{Columns: cols, Rows: [][]driver.Value{row("SELECT")}, Err: mssql.Error{Number: 1205, Message: "deadlock victim"}}}}},
			want:    want{Sent: []sent{observe}, Err: []string{errReadPrivileges, "deadlock victim"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, s := newFakeClient(t, tc.replies...)
			privs, err := c.Privileges(context.Background(), dbms.UserName{Name: hostile}, "appdb")
			checkErr(t, tc.reason, err, tc.want.Err...)
			if diff := cmp.Diff(tc.want.Privs, privs); diff != "" {
				t.Errorf("%s\nprivileges: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.Sent, s.statements()); diff != "" {
				t.Errorf("%s\nsent: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestGrantRevoke(t *testing.T) {
	grant := func(privs string) sent {
		return inDB("appdb", strings.Replace(grantSQLFormat, "%s", privs, 1), failIfMissing, nameParam(hostile))
	}
	revoke := func(privs string) sent {
		return inDB("appdb", strings.Replace(revokeSQLFormat, "%s", privs, 1), skipIfMissing, nameParam(hostile))
	}
	type want struct {
		Sent []sent
		Err  []string
	}
	cases := map[string]struct {
		reason string
		revoke bool
		privs  []string
		want   want
	}{
		"Grant": {
			reason: "Permissions are normalised and granted in one statement, in the database; the user is bound",
			privs:  []string{"select", " Insert ", "SELECT", "create   table"},
			want:   want{Sent: []sent{grant("CREATE TABLE, INSERT, SELECT")}},
		},
		"GrantAll": {
			reason: "ALL is every permission the client manages",
			privs:  []string{"ALL"},
			want:   want{Sent: []sent{grant(strings.Join(databasePermissions, ", "))}},
		},
		"Revoke": {
			reason: "Revoke takes grant options with it (CASCADE) and skips a database that is gone",
			revoke: true,
			privs:  []string{"all privileges"},
			want:   want{Sent: []sent{revoke(strings.Join(databasePermissions, ", "))}},
		},
		"Unknown": {
			reason: "A permission outside the list is refused before anything is sent, and the error lists the accepted ones",
			privs:  []string{"SELECT", "DROP TABLE; --"},
			want:   want{Err: []string{errGrant, `"DROP TABLE; --"`, "ALTER ANY SCHEMA", "VIEW DEFINITION", "or ALL"}},
		},
		"Connect": {
			reason: "CONNECT is not managed by grants, so that revoking the rest never locks a user out",
			revoke: true,
			privs:  []string{"CONNECT"},
			want:   want{Err: []string{errRevoke, `"CONNECT"`}},
		},
		"ServerWide": {
			reason: "A server permission is not a database one",
			privs:  []string{"CONTROL SERVER"},
			want:   want{Err: []string{errGrant, `"CONTROL SERVER"`}},
		},
		"Empty": {
			reason: "Nothing to grant sends nothing",
			privs:  nil,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, s := newFakeClient(t)
			var err error
			if tc.revoke {
				err = c.Revoke(context.Background(), dbms.UserName{Name: hostile}, "appdb", tc.privs)
			} else {
				err = c.Grant(context.Background(), dbms.UserName{Name: hostile}, "appdb", tc.privs)
			}
			checkErr(t, tc.reason, err, tc.want.Err...)
			got := s.statements()
			if diff := cmp.Diff(tc.want.Sent, got); diff != "" {
				t.Errorf("%s\nsent: -want, +got:\n%s", tc.reason, diff)
			}
			for _, st := range got {
				if strings.Contains(st.Query, "x]") {
					t.Errorf("%s\nthe user's name is in the statement text:\n%s", tc.reason, st.Query)
				}
			}
		})
	}
}

// TestGrantStatements checks the statements Grant and Revoke run in the
// database: the user is named only through QUOTENAME(@name).
func TestGrantStatements(t *testing.T) {
	g := strings.Replace(grantSQLFormat, "%s", "INSERT, SELECT", 1)
	for _, s := range []string{
		"IF DATABASE_PRINCIPAL_ID(@name) IS NULL",
		"N'CREATE USER ' + QUOTENAME(@name) + N' FOR LOGIN ' + QUOTENAME(@name)",
		"N'GRANT INSERT, SELECT TO ' + QUOTENAME(@name)",
	} {
		if !strings.Contains(g, s) {
			t.Errorf("grant statement lacks %q:\n%s", s, g)
		}
	}
	r := strings.Replace(revokeSQLFormat, "%s", "SELECT", 1)
	for _, s := range []string{
		"IF DATABASE_PRINCIPAL_ID(@name) IS NOT NULL",
		"N'REVOKE SELECT FROM ' + QUOTENAME(@name) + N' CASCADE'",
	} {
		if !strings.Contains(r, s) {
			t.Errorf("revoke statement lacks %q:\n%s", s, r)
		}
	}
	for _, p := range databasePermissions {
		if strings.ContainsAny(p, `'[];-/*`) || p != strings.ToUpper(p) {
			t.Errorf("permission %q must be an upper-case keyword", p)
		}
	}
}

func TestNormalizePrivileges(t *testing.T) {
	type want struct {
		Privs []string
		Err   bool
	}
	cases := map[string]struct {
		reason string
		in     []string
		want   want
	}{
		"Normalised": {reason: "Case and spacing are normalised", in: []string{"execute", "view  definition"}, want: want{Privs: []string{"EXECUTE", "VIEW DEFINITION"}}},
		"All":        {reason: "ALL expands to the managed list", in: []string{"all"}, want: want{Privs: databasePermissions}},
		"Unknown":    {reason: "An unknown name is refused", in: []string{"SELECT", "SUPER"}, want: want{Err: true}},
	}
	c, _ := newFakeClient(t)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := c.NormalizePrivileges(tc.in)
			if diff := cmp.Diff(tc.want, want{Privs: got, Err: err != nil}); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
