package postgresql

import (
	"strconv"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
)

// Statements whose only inputs are bound parameters.
const (
	observeRoleSQL = `SELECT rolcanlogin, rolconnlimit, COALESCE(pg_catalog.shobj_description(oid, 'pg_authid'), '')
FROM pg_catalog.pg_roles WHERE rolname = $1`
	roleExistsSQL = `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)`

	// bindPasswordSQL hands the role name and the password verifier to the
	// server as bound values, visible only to this transaction.
	bindPasswordSQL = `SELECT pg_catalog.set_config('dbaas.role', $1, true), pg_catalog.set_config('dbaas.password', $2, true)`

	// setPasswordSQL builds ALTER ROLE on the server from the bound values:
	// utility statements take no bind parameters, and neither the password
	// nor its verifier may be part of the SQL text we send. %I and %L quote
	// on the server. The role name is bound rather than quoted here because
	// a name could end the dollar-quoted body.
	setPasswordSQL = `DO $dbaas$BEGIN EXECUTE pg_catalog.format('ALTER ROLE %I PASSWORD %L', pg_catalog.current_setting('dbaas.role'), pg_catalog.current_setting('dbaas.password')); END$dbaas$`
)

// createRoleSQL builds CREATE ROLE for a login role without a password; the
// password is set by setPasswordSQL in the same transaction.
func createRoleSQL(name string, connLimit *int32) (string, error) {
	qn, err := quote(name)
	if err != nil {
		return "", errors.Wrap(err, "role")
	}
	return "CREATE ROLE " + qn + " WITH LOGIN" + connLimitClause(connLimit), nil
}

// commentOnRoleSQL writes the ownership marker as the role's comment.
func commentOnRoleSQL(name, marker string) (string, error) {
	qn, err := quote(name)
	if err != nil {
		return "", errors.Wrap(err, "role")
	}
	qm, err := quoteLiteral(marker)
	if err != nil {
		return "", errors.Wrap(err, "marker")
	}
	return "COMMENT ON ROLE " + qn + " IS " + qm, nil
}

func alterRoleSQL(name string, connLimit *int32) (string, error) {
	qn, err := quote(name)
	if err != nil {
		return "", errors.Wrap(err, "role")
	}
	return "ALTER ROLE " + qn + " WITH LOGIN" + connLimitClause(connLimit), nil
}

func connLimitClause(connLimit *int32) string {
	if connLimit == nil {
		return ""
	}
	return " CONNECTION LIMIT " + strconv.Itoa(int(*connLimit))
}

// dropOwnedSQL hands what the role owns in the current database (and shared
// objects such as databases) to the connected admin and revokes its
// privileges, which DROP ROLE requires.
func dropOwnedSQL(name string) ([]string, error) {
	qn, err := quote(name)
	if err != nil {
		return nil, errors.Wrap(err, "role")
	}
	return []string{
		"REASSIGN OWNED BY " + qn + " TO CURRENT_USER",
		"DROP OWNED BY " + qn,
	}, nil
}

func dropRoleSQL(name string) (string, error) {
	qn, err := quote(name)
	if err != nil {
		return "", errors.Wrap(err, "role")
	}
	return "DROP ROLE IF EXISTS " + qn, nil
}

// observePrivilegesSQL lists the privileges granted to a role on a database.
const observePrivilegesSQL = `SELECT a.privilege_type
FROM pg_catalog.pg_database d, pg_catalog.pg_roles r, pg_catalog.aclexplode(d.datacl) a
WHERE d.datname = $1 AND r.rolname = $2 AND a.grantee = r.oid`

// verifierSourceSQL says where this session can read a role's stored SCRAM
// verifier from: pg_authid when it is a superuser (an existing server's
// admin often is), else the instance's pgroles.RoleVerifier when that
// function and its schema are a superuser's and the session may call it
// (a database owner could make a schema of that name with a function of
// its own, which would then say what it liked). Neither: the password is
// checked by logging in.
const verifierSourceSQL = `SELECT r.rolsuper,
	COALESCE((SELECT pg_catalog.has_function_privilege(p.oid, 'EXECUTE')
		FROM pg_catalog.pg_proc p
		JOIN pg_catalog.pg_namespace s ON s.oid = p.pronamespace
		JOIN pg_catalog.pg_roles o ON o.oid = p.proowner
		JOIN pg_catalog.pg_roles so ON so.oid = s.nspowner
		WHERE s.nspname = $1 AND p.proname = 'role_verifier' AND p.prosecdef AND o.rolsuper AND so.rolsuper
		AND pg_catalog.pg_get_function_identity_arguments(p.oid) = 'rolename text'), false)
FROM pg_catalog.pg_roles r WHERE r.rolname = current_user`

const (
	// storedVerifierSQL reads the verifier as a superuser.
	storedVerifierSQL = `SELECT rolpassword FROM pg_catalog.pg_authid WHERE rolname = $1`
	// definerVerifierSQL reads it through the instance's function.
	definerVerifierSQL = `SELECT ` + pgroles.RoleVerifier + `($1::text)`
)
