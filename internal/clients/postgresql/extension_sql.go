package postgresql

import "github.com/crossplane/crossplane-runtime/v2/pkg/errors"

// Statements whose only inputs are bound parameters.
const (
	serverVersionSQL       = `SELECT pg_catalog.current_setting('server_version')`
	availableExtensionsSQL = `SELECT name FROM pg_catalog.pg_available_extensions WHERE name = ANY($1)`
	extensionsSQL          = `SELECT e.extname, e.extversion, COALESCE(pg_catalog.obj_description(e.oid, 'pg_extension'), '')
FROM pg_catalog.pg_extension e ORDER BY e.extname`
	extensionMarkerSQL = `SELECT COALESCE(pg_catalog.obj_description(e.oid, 'pg_extension'), '')
FROM pg_catalog.pg_extension e WHERE e.extname = $1`
)

// createExtensionSQL creates an extension in the schema the search path
// names first, as an application's CREATE EXTENSION would.
func createExtensionSQL(name string) (string, error) {
	qn, err := quote(name)
	if err != nil {
		return "", errors.Wrap(err, "extension")
	}
	return "CREATE EXTENSION IF NOT EXISTS " + qn, nil
}

// commentOnExtensionSQL writes the ownership marker as the extension's
// comment, replacing the one its control file gave it.
func commentOnExtensionSQL(name, marker string) (string, error) {
	qn, err := quote(name)
	if err != nil {
		return "", errors.Wrap(err, "extension")
	}
	qm, err := quoteLiteral(marker)
	if err != nil {
		return "", errors.Wrap(err, "marker")
	}
	return "COMMENT ON EXTENSION " + qn + " IS " + qm, nil
}

// dropExtensionSQL never cascades: a column or index of the application's
// that uses the extension makes the drop fail rather than vanish.
func dropExtensionSQL(name string) (string, error) {
	qn, err := quote(name)
	if err != nil {
		return "", errors.Wrap(err, "extension")
	}
	return "DROP EXTENSION IF EXISTS " + qn + " RESTRICT", nil
}
