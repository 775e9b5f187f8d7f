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
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// hostile names: each must be made as it is, and nothing else may change.
var hostile = []string{
	"x`; DROP DATABASE mysql; --",
	"a'b",
	`a\'b`,
	"x'@'%' IDENTIFIED BY 'pw",
	"é with look-alike ｀ (U+FF40)",
	"-- comment",
	"/* c */",
	"50%_off",
}

// TestInjectionDatabases creates, changes, grants on and drops databases
// whose names are attacks, and checks that exactly that database appeared
// and went, and that the server's own are intact. Sequential, so that the
// sets it compares are only its own doing.
func TestInjectionDatabases(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	grantee := dbms.UserName{Name: "inj_grantee"}
	if err := c.CreateUser(ctx, grantee, dbms.UserParameters{Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.DropUser(ctx, grantee, nil) }()
	for _, name := range hostile {
		t.Run(name, func(t *testing.T) {
			before := srv(t).Databases(t)
			if err := c.CreateDatabase(ctx, name, dbms.DatabaseParameters{CharacterSet: "latin1"}); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = c.DropDatabase(ctx, name) }()
			after := srv(t).Databases(t)
			if diff := cmp.Diff(before, without(after, name)); diff != "" || len(after) != len(before)+1 {
				t.Errorf("databases other than %q changed: -before, +after:\n%s", name, diff)
			}
			if !slices.Contains(after, "mysql") {
				t.Fatal("the mysql database is gone")
			}
			if err := c.UpdateDatabase(ctx, name, dbms.DatabaseParameters{Collation: "latin1_bin"}); err != nil {
				t.Fatal(err)
			}
			if o, err := c.ObserveDatabase(ctx, name); err != nil || o == nil || o.Collation != "latin1_bin" {
				t.Errorf("ObserveDatabase(%q) = %+v, %v; want it with collation latin1_bin", name, o, err)
			}
			if err := c.Grant(ctx, grantee, name, []string{"SELECT"}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"SELECT"}, privileges(t, c, grantee, name)); diff != "" {
				t.Errorf("privileges on %q: -want, +got:\n%s", name, diff)
			}
			// The grant is on exactly this database: one row, for its
			// escaped name.
			if got := srv(t).Names(t, "SELECT Db FROM mysql.db WHERE User = ?", grantee.Name); len(got) != 1 || got[0] != escapeDatabasePattern(name) {
				t.Errorf("grant rows = %q, want [%q]", got, escapeDatabasePattern(name))
			}
			if err := c.Revoke(ctx, grantee, name, []string{"ALL"}); err != nil {
				t.Fatal(err)
			}
			if err := c.DropDatabase(ctx, name); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, srv(t).Databases(t)); diff != "" {
				t.Errorf("after drop: -before, +after:\n%s", diff)
			}
		})
	}
}

// TestInjectionUsers does the same for accounts, with hostile passwords.
func TestInjectionUsers(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	for _, name := range hostile {
		t.Run(name, func(t *testing.T) {
			u := dbms.UserName{Name: name}
			password := name + "'; SET PASSWORD FOR root@localhost = PASSWORD('x'); --"
			before := srv(t).Accounts(t)
			if err := c.CreateUser(ctx, u, dbms.UserParameters{Password: password, Limits: dbms.ResourceLimits{MaxUserConnections: ptr[int32](3)}}); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = c.DropUser(ctx, u, nil) }()
			after := srv(t).Accounts(t)
			if diff := cmp.Diff(before, without(after, name+"@%")); diff != "" || len(after) != len(before)+1 {
				t.Errorf("accounts other than %q changed: -before, +after:\n%s", name+"@%", diff)
			}
			if o := observeUser(t, c, u); o == nil || o.Limits.MaxUserConnections == nil || *o.Limits.MaxUserConnections != 3 {
				t.Errorf("ObserveUser(%q) = %+v; want it with 3 connections", name, o)
			}
			if !canLogin(t, c, u, password) {
				t.Errorf("%q cannot log in with its password", name)
			}
			if err := c.UpdateUser(ctx, u, dbms.UserParameters{Password: "plain"}); err != nil {
				t.Fatal(err)
			}
			if !canLogin(t, c, u, "plain") || canLogin(t, c, u, password) {
				t.Errorf("%q: the password did not change", name)
			}
			if err := c.DropUser(ctx, u, nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, srv(t).Accounts(t)); diff != "" {
				t.Errorf("after drop: -before, +after:\n%s", diff)
			}
		})
	}
	// root's password (none, on the socket) was not set by any of them.
	if got := srv(t).Names(t, "SELECT authentication_string FROM mysql.user WHERE User = 'root'"); len(got) != 1 || got[0] != "" {
		t.Errorf("root's stored passwords = %q, want one, empty", got)
	}
}

// TestInjectionProcedure calls a procedure whose schema and name are
// attacks.
func TestInjectionProcedure(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	schema, name := hostile[0], "p'q"
	qs, _ := quoteIdentifier(schema)
	qn, _ := quoteIdentifier(name)
	exec(t, "CREATE DATABASE "+qs, "CREATE PROCEDURE "+qs+"."+qn+"(IN v TEXT) SELECT v AS echoed")
	defer func() { _ = c.DropDatabase(ctx, schema) }()
	before := srv(t).Databases(t)
	r, err := c.CallProcedure(ctx, dbms.Call{Procedure: schema + "." + name, Args: []dbms.Arg{{Value: "'); DROP DATABASE mysql; --"}}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&dbms.Result{Columns: []string{"echoed"}, Rows: [][]*string{{ptr("'); DROP DATABASE mysql; --")}}}, r); diff != "" {
		t.Errorf("-want, +got:\n%s", diff)
	}
	if diff := cmp.Diff(before, srv(t).Databases(t)); diff != "" {
		t.Errorf("databases changed: -before, +after:\n%s", diff)
	}
}
