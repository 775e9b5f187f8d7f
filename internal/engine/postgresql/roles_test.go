package postgresql

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
)

// checkProviderRoles makes the provider's roles on a running primary with
// the provider's pg_hba.conf and checks them with real logins: dbaas_admin
// comes in over TCP with TLS and the password derived from the admin
// password, and is no superuser; a new admin password leaves the roles in
// place but not current, and once they are given it the derived password
// of the new one gets in and that of the old one is refused. It leaves the
// roles with password.
func checkProviderRoles(t *testing.T, i *Instance, password string) {
	t.Helper()
	ctx := context.Background()
	observe := func(pw string, want RolesState) {
		t.Helper()
		if got, err := i.ObserveRoles(ctx, pw); err != nil || got != want {
			t.Errorf("ObserveRoles: %+v, %v; want %+v", got, err, want)
		}
	}
	login := func(pw string) error {
		c, err := i.Connect(ctx, pgroles.Admin, pgroles.Password(pw, pgroles.Admin), "postgres")
		if err == nil {
			_ = c.Close(ctx)
		}
		return err
	}
	observe(password, RolesState{Missing: true})
	if err := i.EnsureRoles(ctx, password); err != nil {
		t.Fatalf("EnsureRoles: %v", err)
	}
	observe(password, RolesState{Current: true})
	c, err := i.Connect(ctx, pgroles.Admin, pgroles.Password(password, pgroles.Admin), "postgres")
	if err != nil {
		t.Fatalf("%s over TCP with the derived password: %v", pgroles.Admin, err)
	}
	var super, createRole, createDB, ssl bool
	err = c.QueryRow(ctx, `SELECT rolsuper, rolcreaterole, rolcreatedb, (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())
		FROM pg_roles WHERE rolname = current_user`).Scan(&super, &createRole, &createDB, &ssl)
	_ = c.Close(ctx)
	if err != nil || super || !createRole || !createDB || !ssl {
		t.Errorf("%s: superuser %v, createrole %v, createdb %v, TLS %v, %v; want false, true, true, true", pgroles.Admin, super, createRole, createDB, ssl, err)
	}

	const next = "n3w:'admin\\pw"
	observe(next, RolesState{})
	if err := i.EnsureRoles(ctx, next); err != nil {
		t.Fatalf("EnsureRoles with a new admin password: %v", err)
	}
	observe(next, RolesState{Current: true})
	if err := login(next); err != nil {
		t.Errorf("%s with the password derived from the new admin password: %v", pgroles.Admin, err)
	}
	if err := login(password); err == nil || !refusedPassword(err) {
		t.Errorf("%s with the password derived from the old admin password: err = %v, want the password refused", pgroles.Admin, err)
	}
	// The superuser's password is current (ObserveRoles above) but opens
	// nothing over TCP, the new one no more than the old.
	for _, pw := range []string{next, password} {
		c, err := i.Connect(ctx, i.AdminUser, pw, "postgres")
		if err == nil {
			_ = c.Close(ctx)
		}
		if !rejectedByHBA(err) {
			t.Errorf("the superuser over TCP: err = %v; want PostgreSQL's refusal (28000, pg_hba.conf rejects connection)", err)
		}
	}
	if err := i.EnsureRoles(ctx, password); err != nil {
		t.Fatalf("EnsureRoles back to the first admin password: %v", err)
	}
}

// checkRewindRole checks, with real logins, that the rewind role reaches
// the files pg_rewind reads and nothing else: it lists the data directory
// and reads a file through the granted functions, and is refused
// pg_read_file (not granted) and a table of its own.
func checkRewindRole(t *testing.T, i *Instance, password string) {
	t.Helper()
	ctx := context.Background()
	c, err := i.Connect(ctx, pgroles.Rewind, pgroles.Password(password, pgroles.Rewind), "postgres")
	if err != nil {
		t.Fatalf("%s over TCP with the derived password: %v", pgroles.Rewind, err)
	}
	defer c.Close(ctx)
	var n int
	var version []byte
	if err := c.QueryRow(ctx, "SELECT (SELECT count(*) FROM pg_ls_dir('.', true, false)), pg_read_binary_file('PG_VERSION')").Scan(&n, &version); err != nil || n == 0 || len(version) == 0 {
		t.Errorf("%s with pg_rewind's functions: %d entries, %q, %v", pgroles.Rewind, n, version, err)
	}
	for _, q := range []string{"SELECT pg_read_file('PG_VERSION')", "CREATE TABLE rewind_owns (n int)"} {
		if _, err := c.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s: %s: err = %v, want permission denied", pgroles.Rewind, q, err)
		}
	}
}

// refusedPassword reports whether err is the server refusing a password
// (SQLSTATE 28P01).
func refusedPassword(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "28P01"
}

// rejectedByHBA reports whether err is PostgreSQL refusing the login by a
// reject rule of pg_hba.conf (SQLSTATE 28000), before any password.
func rejectedByHBA(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "28000" && strings.Contains(pe.Message, "pg_hba.conf rejects connection")
}
