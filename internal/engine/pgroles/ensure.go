package pgroles

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/scram"
)

const (
	errEnsureRole = "cannot create or update role %s"
	errGrantRole  = "cannot grant role %s what it needs"
)

// A Role is a role the provider keeps on every instance: its password (as
// the admin password Secret says or derives it), its attributes and what
// it is granted. The superuser has no attributes here: initdb made it, and
// only its password is kept.
type Role struct {
	Name     string
	Password string
	Attrs    Attrs
	// Grants are what the role is granted in the database postgres.
	Grants []Grant
}

// A Grant is one privilege: the GRANT statement's privilege and object,
// and the query that says whether the role has it ($1 is the role).
type Grant struct {
	What  string
	Check string
}

func executeOn(f string) Grant {
	return Grant{What: "EXECUTE ON FUNCTION " + f, Check: "SELECT pg_catalog.has_function_privilege($1, '" + f + "', 'EXECUTE')"}
}

func memberOf(role string) Grant {
	return Grant{What: role, Check: "SELECT pg_catalog.pg_has_role($1, '" + role + "', 'MEMBER')"}
}

// Attrs are the attributes the provider gives a role it made; every one is
// written, so that none drifts to what someone else set.
type Attrs struct {
	Keep                                     bool
	Login, CreateRole, CreateDB, Replication bool
}

func (a Attrs) sql() string {
	flag := func(on bool, name string) string {
		if on {
			return " " + name
		}
		return " NO" + name
	}
	return flag(a.Login, "LOGIN") + flag(a.CreateRole, "CREATEROLE") + flag(a.CreateDB, "CREATEDB") +
		flag(a.Replication, "REPLICATION") + " NOSUPERUSER NOBYPASSRLS"
}

// rewindFunctions are what pg_rewind calls on its source, as PostgreSQL's
// pg_rewind documentation lists them for a role that is not a superuser.
var rewindFunctions = []string{
	"pg_catalog.pg_ls_dir(text, boolean, boolean)",
	"pg_catalog.pg_stat_file(text, boolean)",
	"pg_catalog.pg_read_binary_file(text)",
	"pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)",
}

// Provider are the roles of an instance whose superuser is superuser: the
// superuser with the admin password; Admin with the password derived from
// it, for the connection secret and the SQL controllers: it may make roles
// and databases but is no superuser; and Rewind, with a password derived
// too, which may only read the files pg_rewind reads; and Monitor, which
// may only read the server's statistics, for the metrics exporter.
func Provider(superuser, adminPassword string) []Role {
	rewind := make([]Grant, len(rewindFunctions))
	for n, f := range rewindFunctions {
		rewind[n] = executeOn(f)
	}
	return []Role{
		{Name: superuser, Password: adminPassword},
		{
			Name: Admin, Password: Password(adminPassword, Admin),
			Attrs: Attrs{Keep: true, Login: true, CreateRole: true, CreateDB: true},
			// Since PostgreSQL 15 only the database's owner may create in
			// its public schema; the holder of the connection secret,
			// which reaches the database postgres, may work there as it
			// did as the superuser.
			// pg_monitor lets it see what the superuser saw of the
			// server's activity (pg_stat_replication, pg_stat_activity of
			// other roles), as a managed service's admin account may.
			// pg_signal_backend lets DROP DATABASE ... WITH (FORCE) end
			// the sessions of the database's applications, which log in
			// as roles other than its owner; a superuser's sessions it
			// still cannot end.
			Grants: []Grant{{
				What:  "CREATE ON SCHEMA public",
				Check: "SELECT pg_catalog.has_schema_privilege($1, 'public', 'CREATE')",
			}, memberOf("pg_monitor"), memberOf("pg_signal_backend")},
		},
		{Name: Rewind, Password: Password(adminPassword, Rewind), Attrs: Attrs{Keep: true, Login: true}, Grants: rewind},
		// Its derived password is never used: the exporter comes in by
		// peer, and pg_hba.conf rejects it over TCP.
		{Name: Monitor, Password: Password(adminPassword, Monitor), Attrs: Attrs{Keep: true, Login: true}, Grants: []Grant{memberOf("pg_monitor")}},
	}
}

// Current reports whether r exists and whether it is as the provider wants
// it. Its password is compared with the SCRAM verifier in pg_authid, so
// nothing logs in to check it; c is a superuser's session.
func Current(ctx context.Context, c *pgx.Conn, r Role) (exists, current bool, err error) {
	var verifier string
	var a Attrs
	var super, bypass bool
	err = c.QueryRow(ctx, `SELECT COALESCE(rolpassword, ''), rolcanlogin, rolcreaterole, rolcreatedb, rolreplication, rolsuper, rolbypassrls
		FROM pg_catalog.pg_authid WHERE rolname = $1`, r.Name).Scan(&verifier, &a.Login, &a.CreateRole, &a.CreateDB, &a.Replication, &super, &bypass)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	if !scram.Matches(verifier, r.Password) {
		return true, false, nil
	}
	if r.Attrs.Keep {
		a.Keep = true
		if a != r.Attrs || super || bypass {
			return true, false, nil
		}
	}
	for _, g := range r.Grants {
		var ok bool
		if err := c.QueryRow(ctx, g.Check, r.Name).Scan(&ok); err != nil {
			return true, false, err
		}
		if !ok {
			return true, false, nil
		}
	}
	return true, true, nil
}

// Ensure creates or alters r with its password, attributes and grants, in
// the superuser's session c. The password reaches the server as a SCRAM
// verifier only, so it is in no statement log, no pg_stat_activity and no
// command line.
func Ensure(ctx context.Context, c *pgx.Conn, r Role, exists bool) error {
	v, err := scram.NewVerifier(r.Password)
	if err != nil {
		return errors.Wrapf(err, errEnsureRole, r.Name)
	}
	verb := "CREATE"
	if exists {
		verb = "ALTER"
	}
	// Utility statements take no bind parameters: the name is quoted as
	// an identifier and the verifier is base64 and '$', ':' only.
	q := verb + " ROLE " + pgx.Identifier{r.Name}.Sanitize() + " WITH PASSWORD '" + v + "'"
	if r.Attrs.Keep {
		q += r.Attrs.sql()
	}
	if _, err := c.Exec(ctx, q); err != nil {
		return errors.Wrapf(err, errEnsureRole, r.Name)
	}
	for _, g := range r.Grants {
		// The privileges and objects are constants of this file.
		if _, err := c.Exec(ctx, "GRANT "+g.What+" TO "+pgx.Identifier{r.Name}.Sanitize()); err != nil {
			return errors.Wrapf(err, errGrantRole, r.Name)
		}
	}
	return nil
}

// EnsureAll ensures every role of roles that is not current.
func EnsureAll(ctx context.Context, c *pgx.Conn, roles []Role) error {
	for _, r := range roles {
		exists, current, err := Current(ctx, c, r)
		if err != nil {
			return err
		}
		if current {
			continue
		}
		if err := Ensure(ctx, c, r, exists); err != nil {
			return err
		}
	}
	return nil
}
