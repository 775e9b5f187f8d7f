package postgresql

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func canLogin(t *testing.T, c *Client, name, password string) bool {
	t.Helper()
	ok, err := c.CanLogin(context.Background(), name, password)
	if err != nil {
		t.Fatalf("CanLogin(%q): %v", name, err)
	}
	return ok
}

func TestRoleLifecycle(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	const name = "lifecycle_role"

	if o, err := c.ObserveRole(ctx, name); err != nil || o != nil {
		t.Fatalf("ObserveRole before create: %v, %v; want nil, nil", o, err)
	}
	if err := c.CreateRole(ctx, name, RoleParameters{ConnectionLimit: ptr[int32](4), Password: "first-Secret"}); err != nil {
		t.Fatal(err)
	}
	o, err := c.ObserveRole(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&RoleObservation{CanLogin: true, ConnectionLimit: 4}, o); diff != "" {
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
	if err := c.UpdateRole(ctx, name, RoleParameters{ConnectionLimit: ptr[int32](-1), Password: "second 'Secret' ☃"}); err != nil {
		t.Fatal(err)
	}
	o, err = c.ObserveRole(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&RoleObservation{CanLogin: true, ConnectionLimit: -1}, o); diff != "" {
		t.Errorf("after update: -want, +got:\n%s", diff)
	}
	if !canLogin(t, c, name, "second 'Secret' ☃") {
		t.Error("cannot log in with the updated password")
	}
	if canLogin(t, c, name, "first-Secret") {
		t.Error("the old password still logs in")
	}
	if err := c.SetPassword(ctx, name, "third"); err != nil {
		t.Fatal(err)
	}
	if !canLogin(t, c, name, "third") {
		t.Error("cannot log in with the password set by SetPassword")
	}
	if err := c.SetPassword(ctx, name, ""); err == nil {
		t.Error("SetPassword accepted an empty password")
	}

	// The transaction-local settings must not outlive the transaction.
	var leaked string
	if err := c.conn.QueryRow(ctx, "SELECT coalesce(current_setting('dbaas.password', true), '')").Scan(&leaked); err != nil {
		t.Fatal(err)
	}
	if leaked != "" {
		t.Errorf("the verifier is still visible in the session: %q", leaked)
	}

	if err := c.DropRole(ctx, name, nil); err != nil {
		t.Fatal(err)
	}
	if o, err := c.ObserveRole(ctx, name); err != nil || o != nil {
		t.Errorf("ObserveRole after drop: %v, %v; want nil, nil", o, err)
	}
	if err := c.DropRole(ctx, name, nil); err != nil {
		t.Errorf("dropping a role that is gone: %v; want no error", err)
	}
}

func TestDatabaseAccess(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	const role, db = "access_role", "access_db"
	if err := c.CreateRole(ctx, role, RoleParameters{Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDatabase(ctx, db, DatabaseParameters{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DropDatabase(ctx, db) })

	if ok, err := c.HasDatabaseAccess(ctx, role, db); err != nil || ok {
		t.Errorf("HasDatabaseAccess before grant = %v, %v; want false", ok, err)
	}
	if err := c.GrantDatabaseAccess(ctx, role, db); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.HasDatabaseAccess(ctx, role, db); err != nil || !ok {
		t.Errorf("HasDatabaseAccess after grant = %v, %v; want true", ok, err)
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
	t.Cleanup(func() { _ = c.DropRole(ctx, "access_grantor", nil) })
	if err := c.DropRole(ctx, role, []string{db, "no_such_database"}); err != nil {
		t.Fatal(err)
	}
	if o, err := c.ObserveRole(ctx, role); err != nil || o != nil {
		t.Errorf("ObserveRole after drop: %v, %v; want nil, nil", o, err)
	}
}

func TestRoleOwningDatabaseDrops(t *testing.T) {
	ctx := context.Background()
	c := newClient(t)
	const role, db = "owning_role", "owned_db"
	if err := c.CreateRole(ctx, role, RoleParameters{Password: "pw"}); err != nil {
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
	if err := c.DropRole(ctx, role, []string{db}); err != nil {
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
		if err := c.CreateRole(ctx, name, RoleParameters{Password: `p'w"; --`}); err != nil {
			t.Fatalf("CreateRole(%q): %v", name, err)
		}
		if diff := cmp.Diff(before, without(roleNames(t, c), name)); diff != "" {
			t.Errorf("CreateRole(%q) changed other roles: -before, +after:\n%s", name, diff)
		}
		if !canLogin(t, c, name, `p'w"; --`) {
			t.Errorf("role %q cannot log in with its password", name)
		}
		if err := c.UpdateRole(ctx, name, RoleParameters{ConnectionLimit: ptr[int32](1), Password: "other"}); err != nil {
			t.Errorf("UpdateRole(%q): %v", name, err)
		}
		if err := c.GrantDatabaseAccess(ctx, name, "postgres"); err != nil {
			t.Errorf("GrantDatabaseAccess(%q): %v", name, err)
		}
		if err := c.DropRole(ctx, name, nil); err != nil {
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
		err := c.CreateRole(ctx, name, RoleParameters{})
		if err == nil {
			o, oerr := c.ObserveRole(ctx, name)
			if oerr != nil || o == nil {
				t.Errorf("created role %q is not found under its name: %v", name, oerr)
			}
			if derr := c.DropRole(ctx, name, nil); derr != nil {
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
