package postgresql

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
	"github.com/dbaas-io/dbaas/internal/scram"
)

const (
	errObserveRoles = "cannot read the provider's roles"
	errEnsureRole   = "cannot create or update role %s"
	errGrantRole    = "cannot grant role %s what it needs"
)

// A providerRole is a role the provider keeps on every instance: its
// password (as the admin password Secret says or derives it), its
// attributes and the functions it may execute. The superuser has no
// attributes here: initdb made it, and only its password is kept.
type providerRole struct {
	name     string
	password string
	attrs    roleAttrs
	// grants are what the role is granted in the database postgres.
	grants []grant
}

// A grant is one privilege: the GRANT statement's privilege and object,
// and the query that says whether the role has it ($1 is the role).
type grant struct {
	what  string
	check string
}

// executeOn is EXECUTE on the function of signature f.
func executeOn(f string) grant {
	return grant{what: "EXECUTE ON FUNCTION " + f, check: "SELECT pg_catalog.has_function_privilege($1, '" + f + "', 'EXECUTE')"}
}

// roleAttrs are the attributes the provider gives a role it made; every
// one is written, so that none drifts to what someone else set.
type roleAttrs struct {
	keep                                     bool
	login, createRole, createDB, replication bool
}

func (a roleAttrs) sql() string {
	flag := func(on bool, name string) string {
		if on {
			return " " + name
		}
		return " NO" + name
	}
	return flag(a.login, "LOGIN") + flag(a.createRole, "CREATEROLE") + flag(a.createDB, "CREATEDB") +
		flag(a.replication, "REPLICATION") + " NOSUPERUSER NOBYPASSRLS"
}

// rewindFunctions are what pg_rewind calls on its source, as PostgreSQL's
// pg_rewind documentation lists them for a role that is not a superuser.
var rewindFunctions = []string{
	"pg_catalog.pg_ls_dir(text, boolean, boolean)",
	"pg_catalog.pg_stat_file(text, boolean)",
	"pg_catalog.pg_read_binary_file(text)",
	"pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)",
}

// providerRoles are the superuser with the admin password, dbaas_admin with
// the password derived from it, for the connection secret: it may make
// roles and databases but is no superuser; and
// the rewind role, with a password derived too, which may only read the
// files pg_rewind reads.
func (i *Instance) providerRoles(adminPassword string) []providerRole {
	return []providerRole{
		{name: i.AdminUser, password: adminPassword},
		{
			name: pgroles.Admin, password: pgroles.Password(adminPassword, pgroles.Admin),
			attrs: roleAttrs{keep: true, login: true, createRole: true, createDB: true},
			// Since PostgreSQL 15 only the database's owner may create in
			// its public schema; the holder of the connection secret,
			// which reaches the database postgres, may work there as it
			// did as the superuser.
			// pg_monitor lets it see what the superuser saw of the
			// server's activity (pg_stat_replication, pg_stat_activity of
			// other roles), as a managed service's admin account may.
			grants: []grant{{
				what:  "CREATE ON SCHEMA public",
				check: "SELECT pg_catalog.has_schema_privilege($1, 'public', 'CREATE')",
			}, {
				what:  "pg_monitor",
				check: "SELECT pg_catalog.pg_has_role($1, 'pg_monitor', 'MEMBER')",
			}},
		},
		{
			name: pgroles.Rewind, password: pgroles.Password(adminPassword, pgroles.Rewind),
			attrs: roleAttrs{keep: true, login: true}, grants: rewindGrants(),
		},
	}
}

func rewindGrants() []grant {
	out := make([]grant, len(rewindFunctions))
	for n, f := range rewindFunctions {
		out[n] = executeOn(f)
	}
	return out
}

// RolesState is what the primary holds of the provider's roles.
type RolesState struct {
	// Missing: a role the provider makes is not there yet; the instance
	// is not Ready before it is.
	Missing bool
	// Current: every role is there with the password the admin password
	// Secret gives it, its attributes and its grants. A changed Secret
	// makes it false with Missing false: the instance stays Ready while
	// the passwords follow.
	Current bool
}

// ObserveRoles reads the provider's roles on the primary over the admin
// session. Passwords are compared with the SCRAM verifiers in pg_authid,
// so nothing logs in over TCP to check them and no password reaches the
// server.
func (i *Instance) ObserveRoles(ctx context.Context, adminPassword string) (RolesState, error) {
	c, err := i.ConnectAdmin(ctx, adminPassword)
	if err != nil {
		return RolesState{}, errors.Wrap(err, errObserveRoles)
	}
	defer c.Close(context.Background())
	return i.readRoles(ctx, c, adminPassword)
}

// readRoles is ObserveRoles over a session the caller holds, so that a
// look at a primary (see Look) reads its roles without a second login.
func (i *Instance) readRoles(ctx context.Context, c *pgx.Conn, adminPassword string) (RolesState, error) {
	s := RolesState{Current: true}
	for _, r := range i.providerRoles(adminPassword) {
		exists, current, err := roleCurrent(ctx, c, r)
		if err != nil {
			return RolesState{}, errors.Wrap(err, errObserveRoles)
		}
		s.Missing = s.Missing || !exists
		s.Current = s.Current && current
	}
	return s, nil
}

// roleCurrent reports whether r exists and whether it is as the provider
// wants it.
func roleCurrent(ctx context.Context, c *pgx.Conn, r providerRole) (exists, current bool, err error) {
	var verifier string
	var a roleAttrs
	var super, bypass bool
	err = c.QueryRow(ctx, `SELECT COALESCE(rolpassword, ''), rolcanlogin, rolcreaterole, rolcreatedb, rolreplication, rolsuper, rolbypassrls
		FROM pg_catalog.pg_authid WHERE rolname = $1`, r.name).Scan(&verifier, &a.login, &a.createRole, &a.createDB, &a.replication, &super, &bypass)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	if !scram.Matches(verifier, r.password) {
		return true, false, nil
	}
	if r.attrs.keep {
		a.keep = true
		if a != r.attrs || super || bypass {
			return true, false, nil
		}
	}
	for _, g := range r.grants {
		var ok bool
		if err := c.QueryRow(ctx, g.check, r.name).Scan(&ok); err != nil {
			return true, false, err
		}
		if !ok {
			return true, false, nil
		}
	}
	return true, true, nil
}

// EnsureRoles makes the provider's roles on the running primary as
// ObserveRoles wants them, changing only what differs: a changed admin
// password Secret gives the superuser and every derived role their new
// passwords here. Passwords reach the server as SCRAM verifiers only, so
// they are in no statement log, no pg_stat_activity and no command line.
// The session's commits are local: a synchronous primary whose replicas do
// not exist yet (they are made after this) would wait for them forever.
func (i *Instance) EnsureRoles(ctx context.Context, adminPassword string) error {
	c, err := i.ConnectAdmin(ctx, adminPassword)
	if err != nil {
		return errors.Wrap(err, errObserveRoles)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "SET synchronous_commit TO local"); err != nil {
		return errors.Wrap(err, errLocal)
	}
	for _, r := range i.providerRoles(adminPassword) {
		exists, current, err := roleCurrent(ctx, c, r)
		if err != nil {
			return errors.Wrap(err, errObserveRoles)
		}
		if current {
			continue
		}
		if err := ensureRole(ctx, c, r, exists); err != nil {
			return err
		}
	}
	return nil
}

// ensureRole creates or alters r with its password, attributes and grants.
func ensureRole(ctx context.Context, c *pgx.Conn, r providerRole, exists bool) error {
	v, err := scram.NewVerifier(r.password)
	if err != nil {
		return errors.Wrapf(err, errEnsureRole, r.name)
	}
	verb := "CREATE"
	if exists {
		verb = "ALTER"
	}
	// Utility statements take no bind parameters: the name is quoted as
	// an identifier and the verifier is base64 and '$', ':' only.
	q := verb + " ROLE " + pgx.Identifier{r.name}.Sanitize() + " WITH PASSWORD '" + v + "'"
	if r.attrs.keep {
		q += r.attrs.sql()
	}
	if _, err := c.Exec(ctx, q); err != nil {
		return errors.Wrapf(err, errEnsureRole, r.name)
	}
	for _, g := range r.grants {
		// The privileges and objects are constants of this file.
		if _, err := c.Exec(ctx, "GRANT "+g.what+" TO "+pgx.Identifier{r.name}.Sanitize()); err != nil {
			return errors.Wrapf(err, errGrantRole, r.name)
		}
	}
	return nil
}
