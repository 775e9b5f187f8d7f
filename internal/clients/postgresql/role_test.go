package postgresql

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

func user(name string) dbms.UserName { return dbms.UserName{Name: name} }

func canLogin(t *testing.T, c *Client, name, password string) bool {
	t.Helper()
	ok, err := c.CanLogin(context.Background(), user(name), password)
	if err != nil {
		t.Fatalf("CanLogin(%q): %v", name, err)
	}
	return ok
}

func TestRoleLifecycle(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	const name = "lifecycle_role"

	if o, err := c.ObserveUser(ctx, user(name)); err != nil || o != nil {
		t.Fatalf("ObserveRole before create: %v, %v; want nil, nil", o, err)
	}
	if err := c.CreateUser(ctx, user(name), dbms.UserParameters{ConnectionLimit: ptr[int32](4), Password: "first-Secret"}); err != nil {
		t.Fatal(err)
	}
	o, err := c.ObserveUser(ctx, user(name))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&dbms.UserObservation{CanLogin: true, ConnectionLimit: ptr[int32](4)}, o); diff != "" {
		t.Errorf("after create: -want, +got:\n%s", diff)
	}
	if !canLogin(t, c, name, "first-Secret") {
		t.Error("cannot log in with the password the role was created with")
	}
	if canLogin(t, c, name, "wrong") {
		t.Error("logged in with a wrong password")
	}

	// The server must hold only a SCRAM verifier, never the plaintext.
	var stored string
	if err := c.conn.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = $1", name).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "SCRAM-SHA-256$4096:") || strings.Contains(stored, "first-Secret") {
		t.Errorf("stored password %q: want a SCRAM-SHA-256 verifier", stored)
	}

	if _, err := c.conn.Exec(ctx, `ALTER ROLE lifecycle_role NOLOGIN`); err != nil {
		t.Fatal(err)
	}
	// The admin is a superuser: the password is compared with the stored
	// verifier, not tried by logging in, which a NOLOGIN role would fail.
	if !canLogin(t, c, name, "first-Secret") {
		t.Error("the password of a NOLOGIN role does not match its verifier")
	}
	if err := c.UpdateUser(ctx, user(name), dbms.UserParameters{ConnectionLimit: ptr[int32](-1), Password: "second 'Secret' ☃"}); err != nil {
		t.Fatal(err)
	}
	o, err = c.ObserveUser(ctx, user(name))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&dbms.UserObservation{CanLogin: true, ConnectionLimit: ptr[int32](-1)}, o); diff != "" {
		t.Errorf("after update: -want, +got:\n%s", diff)
	}
	if !canLogin(t, c, name, "second 'Secret' ☃") {
		t.Error("cannot log in with the updated password")
	}
	if canLogin(t, c, name, "first-Secret") {
		t.Error("the old password still logs in")
	}
	// Refused: settings that are not PostgreSQL's, before anything runs.
	for _, bad := range []struct {
		u dbms.UserName
		p dbms.UserParameters
	}{
		{u: dbms.UserName{Name: name, Host: "%"}},
		{u: user(name), p: dbms.UserParameters{Contained: true}},
		{u: user(name), p: dbms.UserParameters{Limits: dbms.ResourceLimits{MaxUserConnections: ptr[int32](1)}}},
	} {
		if err := c.UpdateUser(ctx, bad.u, bad.p); err == nil {
			t.Errorf("UpdateUser(%+v, %+v) = nil; want an error naming the MySQL/SQL Server setting", bad.u, bad.p)
		}
	}

	// The transaction-local settings must not outlive the transaction.
	var leaked string
	if err := c.conn.QueryRow(ctx, "SELECT coalesce(current_setting('dbaas.password', true), '')").Scan(&leaked); err != nil {
		t.Fatal(err)
	}
	if leaked != "" {
		t.Errorf("the verifier is still visible in the session: %q", leaked)
	}

	if err := c.DropUser(ctx, user(name), nil); err != nil {
		t.Fatal(err)
	}
	if o, err := c.ObserveUser(ctx, user(name)); err != nil || o != nil {
		t.Errorf("ObserveRole after drop: %v, %v; want nil, nil", o, err)
	}
	if err := c.DropUser(ctx, user(name), nil); err != nil {
		t.Errorf("dropping a role that is gone: %v; want no error", err)
	}
}

func TestDatabaseAccess(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	const role, db = "access_role", "access_db"
	if err := c.CreateUser(ctx, user(role), dbms.UserParameters{Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDatabase(ctx, db, DatabaseParameters{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DropDatabase(ctx, db) })

	if p, err := c.Privileges(ctx, user(role), db); err != nil || len(p) != 0 {
		t.Errorf("Privileges before grant = %v, %v; want none", p, err)
	}
	if err := c.Grant(ctx, user(role), db, []string{"connect", "TEMP"}); err != nil {
		t.Fatal(err)
	}
	if p, err := c.Privileges(ctx, user(role), db); err != nil || !slices.Equal(p, []string{"CONNECT", "TEMPORARY"}) {
		t.Errorf("Privileges after grant = %v, %v; want CONNECT, TEMPORARY", p, err)
	}

	// The role owns a table in the database: dropping the role must hand it
	// over there too.
	cfg := adminConfig()
	cfg.User, cfg.Password, cfg.Database = role, "pw", db
	rc, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rc.conn.Exec(ctx, "CREATE TEMPORARY TABLE t (i int)"); err != nil {
		t.Errorf("the role cannot use its database: %v", err)
	}
	_ = rc.Close(ctx)
	// The server drops a session's temporary tables as the session ends,
	// after the client has gone; handing over what the role owns while that
	// runs fails with "could not open relation". Wait for the session to end.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var n int
		if err := c.conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE usename = $1", role).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the role's session did not end: %d backends left", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := c.conn.Exec(ctx, `CREATE ROLE access_grantor; GRANT CONNECT ON DATABASE postgres TO access_role`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DropUser(ctx, user("access_grantor"), nil) })
	if err := c.DropUser(ctx, user(role), []string{db, "no_such_database"}); err != nil {
		t.Fatal(err)
	}
	if o, err := c.ObserveUser(ctx, user(role)); err != nil || o != nil {
		t.Errorf("ObserveRole after drop: %v, %v; want nil, nil", o, err)
	}
}

func TestRoleOwningDatabaseDrops(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	const role, db = "owning_role", "owned_db"
	if err := c.CreateUser(ctx, user(role), dbms.UserParameters{Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDatabase(ctx, db, DatabaseParameters{Owner: role}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DropDatabase(ctx, db) })
	cfg := adminConfig()
	cfg.User, cfg.Password, cfg.Database = role, "pw", db
	rc, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rc.conn.Exec(ctx, "CREATE TABLE owned (i int)"); err != nil {
		t.Fatalf("the owner cannot create a table: %v", err)
	}
	_ = rc.Close(ctx)
	if err := c.DropUser(ctx, user(role), []string{db}); err != nil {
		t.Fatal(err)
	}
	o, err := c.ObserveDatabase(ctx, db)
	if err != nil || o == nil || o.Owner != server.User {
		t.Errorf("ObserveDatabase after the owner was dropped = %v, %v; want it owned by the admin", o, err)
	}
}

func TestRoleInjection(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	for _, name := range []string{`r"; DROP ROLE postgres; --`, `r'; SELECT 1; --`, `$dbaas$; DROP ROLE postgres; $dbaas$`} {
		before := roleNames(t, c)
		if err := c.CreateUser(ctx, user(name), dbms.UserParameters{Password: `p'w"; --`}); err != nil {
			t.Fatalf("CreateRole(%q): %v", name, err)
		}
		if diff := cmp.Diff(before, without(roleNames(t, c), name)); diff != "" {
			t.Errorf("CreateRole(%q) changed other roles: -before, +after:\n%s", name, diff)
		}
		if !canLogin(t, c, name, `p'w"; --`) {
			t.Errorf("role %q cannot log in with its password", name)
		}
		if err := c.UpdateUser(ctx, user(name), dbms.UserParameters{ConnectionLimit: ptr[int32](1), Password: "other"}); err != nil {
			t.Errorf("UpdateRole(%q): %v", name, err)
		}
		if err := c.Grant(ctx, user(name), "postgres", []string{"ALL"}); err != nil {
			t.Errorf("Grant(%q): %v", name, err)
		}
		if err := c.DropUser(ctx, user(name), nil); err != nil {
			t.Errorf("DropRole(%q): %v", name, err)
		}
		if diff := cmp.Diff(before, roleNames(t, c)); diff != "" {
			t.Errorf("after DropRole(%q): -before, +after:\n%s", name, diff)
		}
	}
}

// FuzzQuoteIdentifier creates a role under any name: the role must then be
// found under exactly that name, or the name must be rejected, and no other
// role or database may change. Without -fuzz it runs the seed corpus.
func FuzzQuoteIdentifier(f *testing.F) {
	for _, s := range []string{
		`plain`, `"`, `""`, `x"; DROP ROLE postgres; --`, `'`, `';--`, `;`, `--`, `/*`, `*/ SELECT 1; /*`,
		"a\x00b", "\x00", `\`, `\"`, `$$`, `$dbaas$`, "U&\"\\0041\"", "x\u201d", "\uff02", "\u02ba", "\u2033",
		"tab\there", "new\nline", "é", " ", "", "a\xff", "CURRENT_USER", "public", "pg_x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		ctx := context.Background()
		c := newClient(t)
		roles, dbs := roleNames(t, c), databaseNames(t, c)
		err := c.CreateUser(ctx, user(name), dbms.UserParameters{})
		if err == nil {
			o, oerr := c.ObserveUser(ctx, user(name))
			if oerr != nil || o == nil {
				t.Errorf("created role %q is not found under its name: %v", name, oerr)
			}
			if derr := c.DropUser(ctx, user(name), nil); derr != nil {
				t.Errorf("DropRole(%q): %v", name, derr)
			}
		}
		if diff := cmp.Diff(roles, roleNames(t, c)); diff != "" {
			t.Errorf("CreateRole(%q) (err %v) left roles changed: -before, +after:\n%s", name, err, diff)
		}
		if diff := cmp.Diff(dbs, databaseNames(t, c)); diff != "" {
			t.Errorf("CreateRole(%q) changed databases: -before, +after:\n%s", name, diff)
		}
	})
}

// TestCanLoginByLogin: an admin that is no superuser, on a server without
// the instance's function to read verifiers, checks a password by logging
// in as the role.
func TestCanLoginByLogin(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	for _, q := range []string{
		`CREATE ROLE plain_admin LOGIN CREATEROLE PASSWORD 'plain-admin-pw'`,
	} {
		if _, err := c.conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_, _ = c.conn.Exec(ctx, `DROP ROLE IF EXISTS by_login_role`)
		_, _ = c.conn.Exec(ctx, `DROP ROLE IF EXISTS plain_admin`)
	})
	cfg := adminConfig()
	cfg.User, cfg.Password = "plain_admin", "plain-admin-pw"
	a, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = a.Close(ctx) }()
	if err := a.CreateUser(ctx, user("by_login_role"), dbms.UserParameters{Password: "by-login-pw", Marker: "dbaas.io/owner=ns/uid"}); err != nil {
		t.Fatal(err)
	}
	if !canLogin(t, a, "by_login_role", "by-login-pw") {
		t.Error("the right password does not log in")
	}
	if canLogin(t, a, "by_login_role", "wrong") {
		t.Error("a wrong password logs in")
	}
	// The login is what decides here: a role that may not log in fails.
	if _, err := c.conn.Exec(ctx, `ALTER ROLE by_login_role NOLOGIN`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CanLogin(ctx, user("by_login_role"), "by-login-pw"); err == nil {
		t.Error("CanLogin of a NOLOGIN role without verifiers to read: no error, want the refused login")
	}
}
