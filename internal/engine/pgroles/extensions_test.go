package pgroles_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql"
	"github.com/dbaas-io/dbaas/internal/engine/pgextensions"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
)

// TestExtensionFunctions runs the functions that create and drop
// allow-listed extensions for dbaas_admin on a real PostgreSQL 15 with
// PostGIS installed (make deps): dbaas_admin, no superuser, cannot create
// PostGIS itself but can through them, in a database made from template1
// after they were made there; nothing off the allow-list passes, an
// extension is dropped only with its marker, and no other role may call
// them; and a function of the same name a database owner made is never
// called.
func TestExtensionFunctions(t *testing.T) {
	ctx := context.Background()
	s := pgtest.Start(t)
	pgtest.ProviderRoles(t, s)
	admin, err := s.Conn(t, pgroles.Admin, pgroles.Password(s.Password, pgroles.Admin), "postgres")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CREATE ROLE geo_owner LOGIN PASSWORD 'tenant-pw'", "GRANT geo_owner TO CURRENT_USER", "CREATE DATABASE geo OWNER geo_owner"} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatalf("%s as %s: %v", q, pgroles.Admin, err)
		}
	}
	geo, err := s.Conn(t, pgroles.Admin, pgroles.Password(s.Password, pgroles.Admin), "geo")
	if err != nil {
		t.Fatal(err)
	}
	call := func(t *testing.T, f, name, marker string) error {
		t.Helper()
		_, err := geo.Exec(ctx, "SELECT "+f+"($1, $2)", name, marker)
		return err
	}
	extensions := func(t *testing.T) string {
		t.Helper()
		var got string
		if err := geo.QueryRow(ctx, "SELECT string_agg(extname || ':' || COALESCE(obj_description(oid, 'pg_extension'), ''), ',' ORDER BY extname) FROM pg_extension").Scan(&got); err != nil {
			t.Fatal(err)
		}
		return got
	}

	if _, err := geo.Exec(ctx, "CREATE EXTENSION postgis"); err == nil || !strings.Contains(err.Error(), `permission denied to create extension "postgis"`) {
		t.Fatalf("CREATE EXTENSION postgis as %s: err = %v, want permission denied (it is no superuser)", pgroles.Admin, err)
	}
	if err := call(t, pgroles.CreateExtension, "plpython3u", "m"); err == nil || !strings.Contains(err.Error(), `extension "plpython3u" is not on the allow-list`) {
		t.Errorf("plpython3u through %s: err = %v, want refused as off the allow-list", pgroles.CreateExtension, err)
	}
	if err := call(t, pgroles.CreateExtension, "postgis", ""); err == nil {
		t.Error("postgis without a marker: created, want refused")
	}
	if err := call(t, pgroles.CreateExtension, "postgis", "mine"); err != nil {
		t.Fatalf("postgis through %s: %v", pgroles.CreateExtension, err)
	}
	if got := extensions(t); got != "plpgsql:PL/pgSQL procedural language,postgis:mine" {
		t.Errorf("pg_extension after creating postgis: %s", got)
	}
	if err := call(t, pgroles.DropExtension, "postgis", "another's"); err != nil || !strings.Contains(extensions(t), "postgis:mine") {
		t.Errorf("dropping postgis with another marker: %v; want it kept: %s", err, extensions(t))
	}
	if err := call(t, pgroles.DropExtension, "postgis", "mine"); err != nil || strings.Contains(extensions(t), "postgis") {
		t.Errorf("dropping postgis with its marker: %v; want it gone: %s", err, extensions(t))
	}

	// The database's owner, and any other role, may not call them.
	tenant, err := s.Conn(t, "geo_owner", "tenant-pw", "geo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tenant.Exec(ctx, "SELECT "+pgroles.CreateExtension+"('postgis', 'x')"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("the database owner calling %s: err = %v, want permission denied", pgroles.CreateExtension, err)
	}
	t.Run("NotSpoofed", func(t *testing.T) { checkNotSpoofed(t, s) })
	t.Run("RoleVerifier", func(t *testing.T) { checkRoleVerifier(t, s) })
}

// checkRoleVerifier: dbaas_admin, no superuser, checks the password of a
// role it made against the stored verifier through pgroles.RoleVerifier,
// without logging in as the role (which a NOLOGIN role could not); the
// function shows no verifier of a role without a marker or of a superuser,
// and no other role may call it.
func checkRoleVerifier(t *testing.T, s *pgtest.Server) {
	ctx := context.Background()
	adminPassword := pgroles.Password(s.Password, pgroles.Admin)
	cfg := dbms.Config{Engine: dbms.PostgreSQL, Host: s.Host, Port: s.Port, User: pgroles.Admin,
		Password: adminPassword, TLS: dbms.TLS{Mode: dbms.TLSDisable}}
	c, err := postgresql.Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close(ctx) }()
	const marker = "dbaas.io/owner=team-a/1234"
	if err := c.CreateUser(ctx, dbms.UserName{Name: "marked"}, dbms.UserParameters{Password: "marked-pw", Marker: marker}); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateUser(ctx, dbms.UserName{Name: "unmarked"}, dbms.UserParameters{Password: "unmarked-pw"}); err != nil {
		t.Fatal(err)
	}
	super, err := s.Conn(t, s.User, s.Password, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := pgroles.ExtensionFunctionsCurrent(ctx, super, pgextensions.Names("15")); err != nil || !ok {
		t.Errorf("ExtensionFunctionsCurrent after they were made = %v, %v; want true (the engine would make them again on every look)", ok, err)
	}
	for _, q := range []string{
		"ALTER ROLE marked NOLOGIN",
		"COMMENT ON ROLE " + s.User + " IS '" + marker + "'",
	} {
		if _, err := super.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		role, password string
		want           bool
	}{
		{"marked", "marked-pw", true},
		{"marked", "wrong", false},
		{"unmarked", "unmarked-pw", false},
		{s.User, s.Password, false},
	} {
		got, err := c.CanLogin(ctx, dbms.UserName{Name: tc.role}, tc.password)
		if err != nil || got != tc.want {
			t.Errorf("CanLogin(%q) as %s = %v, %v; want %v, nil", tc.role, pgroles.Admin, got, err, tc.want)
		}
	}
	admin, err := s.Conn(t, pgroles.Admin, adminPassword, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	var v *string
	if err := admin.QueryRow(ctx, "SELECT "+pgroles.RoleVerifier+"($1)", s.User).Scan(&v); err != nil || v != nil {
		t.Errorf("%s of the superuser: %v, %v; want NULL", pgroles.RoleVerifier, v, err)
	}
	tenant, err := s.Conn(t, "unmarked", "unmarked-pw", "postgres")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tenant.Exec(ctx, "SELECT "+pgroles.RoleVerifier+"('marked')"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("a tenant role calling %s: err = %v, want permission denied", pgroles.RoleVerifier, err)
	}
}

// checkNotSpoofed: in a database made from template0,
// which has no functions, the owner makes a schema dbaas with a function
// of the same name that would run with dbaas_admin's rights. The SQL
// client, logged in as dbaas_admin, never calls it: it creates the
// extension itself, and PostGIS is refused as PostgreSQL refuses a
// non-superuser.
func checkNotSpoofed(t *testing.T, s *pgtest.Server) {
	ctx := context.Background()
	cfg := dbms.Config{Engine: dbms.PostgreSQL, Host: s.Host, Port: s.Port, User: pgroles.Admin,
		Password: pgroles.Password(s.Password, pgroles.Admin), TLS: dbms.TLS{Mode: dbms.TLSDisable}}
	c, err := postgresql.Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close(ctx) }()
	if err := c.CreateUser(ctx, dbms.UserName{Name: "tenant"}, dbms.UserParameters{Password: "tenant-pw"}); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDatabase(ctx, "plain", postgresql.DatabaseParameters{Owner: "tenant", Encoding: "UTF8"}); err != nil {
		t.Fatalf("a database from template0, owned by a role %s made: %v", pgroles.Admin, err)
	}
	tenant, err := s.Conn(t, "tenant", "tenant-pw", "plain")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE ran (who name)",
		"GRANT INSERT ON ran TO PUBLIC",
		"CREATE SCHEMA dbaas",
		"CREATE FUNCTION dbaas.create_extension(name text, marker text) RETURNS void LANGUAGE sql AS 'INSERT INTO public.ran VALUES (current_user)'",
	} {
		if _, err := tenant.Exec(ctx, q); err != nil {
			t.Fatalf("%s as the owner: %v", q, err)
		}
	}
	err = c.CreateExtension(ctx, "plain", "postgis", "m")
	if err == nil || !strings.Contains(err.Error(), `permission denied to create extension "postgis"`) {
		t.Errorf("postgis in a database without the instance's functions: err = %v, want PostgreSQL's permission denied", err)
	}
	var n int
	if err := tenant.QueryRow(ctx, "SELECT count(*) FROM ran").Scan(&n); err != nil || n != 0 {
		t.Errorf("the owner's function ran %d times (%v), want never", n, err)
	}
}
