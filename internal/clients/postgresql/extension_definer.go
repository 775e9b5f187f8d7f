package postgresql

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
)

// definerSQL says whether the session should create and drop extensions
// through the instance's functions (pgroles.CreateExtension,
// pgroles.DropExtension) rather than itself: it is no superuser, and both
// the functions and their schema are a superuser's. A database owner may
// make a schema named like it in a database without them; a function of
// its own there would run with this account's rights, so it is never
// called.
const definerSQL = `SELECT NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AND
(SELECT pg_catalog.count(*) FROM pg_catalog.pg_proc p
	JOIN pg_catalog.pg_namespace s ON s.oid = p.pronamespace
	JOIN pg_catalog.pg_roles o ON o.oid = p.proowner
	JOIN pg_catalog.pg_roles so ON so.oid = s.nspowner
	WHERE s.nspname = $1 AND p.proname IN ('create_extension', 'drop_extension')
	AND p.prosecdef AND o.rolsuper AND so.rolsuper
	AND pg_catalog.pg_get_function_identity_arguments(p.oid) = 'name text, marker text') = 2`

const (
	definerCreateSQL = `SELECT ` + pgroles.CreateExtension + `($1::text, $2::text)`
	definerDropSQL   = `SELECT ` + pgroles.DropExtension + `($1::text, $2::text)`
)

// useDefiner reports whether tx should go through the functions.
func useDefiner(ctx context.Context, tx pgx.Tx) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, definerSQL, pgroles.Schema).Scan(&ok)
	return ok, err
}
