package pgroles

import (
	"context"
	"fmt"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"
)

const (
	errExtensionFunctions = "cannot make the functions that create and drop allow-listed extensions and read roles' verifiers"

	// Schema holds CreateExtension, DropExtension and RoleVerifier. It is the
	// superuser's: no one else may create in it, and whoever calls them
	// checks that both it and the functions are a superuser's before.
	Schema = "dbaas"
	// CreateExtension is dbaas.create_extension(name text, marker text):
	// it creates an allow-listed extension that is not there yet, with
	// marker as its comment, as the superuser.
	CreateExtension = Schema + ".create_extension"
	// DropExtension is dbaas.drop_extension(name text, marker text): it
	// drops the extension when its comment is marker, never cascading.
	DropExtension = Schema + ".drop_extension"
)

// Most extensions a tenant may ask for (PostGIS, pg_stat_statements,
// earthdistance) are not trusted: only a superuser may create them, and
// Admin is none. These two functions, the superuser's and SECURITY
// DEFINER, create and drop exactly the allow-listed ones for Admin, which
// alone may execute them. They live in template1, so that every database
// made from it has them, and in postgres. Their search_path is the
// tenant's public schema, where CREATE EXTENSION puts what it makes (as an
// application's CREATE EXTENSION would); every name they use themselves
// is qualified with pg_catalog, which is searched first.

const createBody = `
BEGIN
	IF marker IS NULL OR marker = '' THEN
		RAISE EXCEPTION 'an extension the provider creates always carries its marker';
	END IF;
	IF NOT name = ANY (%s::text[]) THEN
		RAISE EXCEPTION 'extension "%%" is not on the allow-list', name USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = name) THEN
		RETURN;
	END IF;
	EXECUTE pg_catalog.format('CREATE EXTENSION %%I', name);
	EXECUTE pg_catalog.format('COMMENT ON EXTENSION %%I IS %%L', name, marker);
END`

const dropBody = `
BEGIN
	IF marker IS NULL OR marker = '' OR NOT EXISTS (SELECT FROM pg_catalog.pg_extension e
		WHERE e.extname = name AND pg_catalog.obj_description(e.oid, 'pg_extension') = marker) THEN
		RETURN;
	END IF;
	EXECUTE pg_catalog.format('DROP EXTENSION %I RESTRICT', name);
END`

// bodies are the two functions' sources for the allow-list allowed.
func bodies(allowed []string) (create, drop string) {
	quoted := make([]string, len(allowed))
	for n, a := range allowed {
		quoted[n] = `"` + strings.ReplaceAll(strings.ReplaceAll(a, `\`, `\\`), `"`, `\"`) + `"`
	}
	list := "'{" + strings.ReplaceAll(strings.Join(quoted, ","), "'", "''") + "}'"
	return fmt.Sprintf(createBody, list), dropBody
}

// ExtensionFunctionsCurrent reports whether the database of the
// superuser's session c has both functions, and RoleVerifier, the
// superuser's, as EnsureExtensionFunctions makes them for allowed.
func ExtensionFunctionsCurrent(ctx context.Context, c *pgx.Conn, allowed []string) (bool, error) {
	create, drop := bodies(allowed)
	var n int
	err := c.QueryRow(ctx, `SELECT pg_catalog.count(*) FROM pg_catalog.pg_proc p
		JOIN pg_catalog.pg_namespace s ON s.oid = p.pronamespace
		JOIN pg_catalog.pg_roles o ON o.oid = p.proowner
		JOIN pg_catalog.pg_roles so ON so.oid = s.nspowner
		WHERE s.nspname = $1 AND o.rolsuper AND so.rolsuper AND p.prosecdef
		AND ((p.proname = 'create_extension' AND p.prosrc = $2) OR (p.proname = 'drop_extension' AND p.prosrc = $3)
			OR (p.proname = 'role_verifier' AND p.prosrc = $5))
		AND pg_catalog.has_function_privilege($4, p.oid, 'EXECUTE')
		AND NOT pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')`,
		Schema, create, drop, Admin, verifierBody).Scan(&n)
	return n == 3, errors.Wrap(err, errExtensionFunctions)
}

// EnsureExtensionFunctions makes both functions, for allowed, and
// RoleVerifier in the database of the superuser's session c; Admin must
// exist.
func EnsureExtensionFunctions(ctx context.Context, c *pgx.Conn, allowed []string) error {
	create, drop := bodies(allowed)
	admin := pgx.Identifier{Admin}.Sanitize()
	stmts := []string{
		"CREATE SCHEMA IF NOT EXISTS " + Schema + " AUTHORIZATION CURRENT_USER",
		"REVOKE ALL ON SCHEMA " + Schema + " FROM PUBLIC",
		"GRANT USAGE ON SCHEMA " + Schema + " TO " + admin,
	}
	for _, f := range []struct{ name, body string }{{CreateExtension, create}, {DropExtension, drop}} {
		sig := f.name + "(name text, marker text)"
		stmts = append(stmts,
			"CREATE OR REPLACE FUNCTION "+sig+" RETURNS void LANGUAGE plpgsql SECURITY DEFINER"+
				" SET search_path = public, pg_temp AS "+dollarQuote(f.body),
			"REVOKE ALL ON FUNCTION "+f.name+"(text, text) FROM PUBLIC",
			"GRANT EXECUTE ON FUNCTION "+f.name+"(text, text) TO "+admin)
	}
	stmts = append(stmts,
		"CREATE OR REPLACE FUNCTION "+RoleVerifier+"(rolename text) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER"+
			" SET search_path = pg_catalog, pg_temp AS "+dollarQuote(verifierBody),
		"REVOKE ALL ON FUNCTION "+RoleVerifier+"(text) FROM PUBLIC",
		"GRANT EXECUTE ON FUNCTION "+RoleVerifier+"(text) TO "+admin)
	return errors.Wrap(pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		for _, q := range stmts {
			if _, err := tx.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}), errExtensionFunctions)
}

// dollarQuote quotes a function body that holds no $fn$ of its own: the
// bodies are this file's constants, with allow-listed names in them.
func dollarQuote(body string) string { return "$fn$" + body + "$fn$" }
