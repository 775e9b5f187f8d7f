package postgresql

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// encodingPattern is what an encoding name may look like. The name is only
// ever bound as a parameter (to pg_char_to_encoding); the pattern rejects
// nonsense early with a clear message.
var encodingPattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)

const errBadEncoding = "encoding must match ^[A-Za-z0-9_]{1,32}$"

// Statements whose only inputs are bound parameters.
const (
	observeDatabaseSQL = `SELECT pg_catalog.pg_get_userbyid(datdba), pg_catalog.pg_encoding_to_char(encoding), datconnlimit,
  COALESCE(pg_catalog.shobj_description(oid, 'pg_database'), '')
FROM pg_catalog.pg_database WHERE datname = $1`
	encodingIDSQL = `SELECT pg_catalog.pg_char_to_encoding($1)`
)

// createDatabaseSQL builds CREATE DATABASE. encodingID is the server's number
// for the encoding (from pg_char_to_encoding), or -1 for the default; a
// number, unlike a name, cannot carry SQL.
func createDatabaseSQL(name, owner string, encodingID int32, connLimit *int32) (string, error) {
	qn, err := quote(name)
	if err != nil {
		return "", errors.Wrap(err, "database")
	}
	var b strings.Builder
	b.WriteString("CREATE DATABASE " + qn)
	if owner != "" {
		qo, err := quote(owner)
		if err != nil {
			return "", errors.Wrap(err, "owner")
		}
		b.WriteString(" OWNER " + qo)
	}
	if encodingID >= 0 {
		// template1 may have another encoding; template0 accepts any.
		b.WriteString(" ENCODING " + strconv.Itoa(int(encodingID)) + " TEMPLATE template0")
	}
	if connLimit != nil {
		b.WriteString(" CONNECTION LIMIT " + strconv.Itoa(int(*connLimit)))
	}
	return b.String(), nil
}

func alterDatabaseOwnerSQL(name, owner string) (string, error) {
	qn, err := quote(name)
	if err != nil {
		return "", errors.Wrap(err, "database")
	}
	qo, err := quote(owner)
	if err != nil {
		return "", errors.Wrap(err, "owner")
	}
	return "ALTER DATABASE " + qn + " OWNER TO " + qo, nil
}

func alterDatabaseConnLimitSQL(name string, connLimit int32) (string, error) {
	qn, err := quote(name)
	if err != nil {
		return "", errors.Wrap(err, "database")
	}
	return "ALTER DATABASE " + qn + " WITH CONNECTION LIMIT " + strconv.Itoa(int(connLimit)), nil
}

// dropDatabaseSQL ends the database's sessions too (FORCE, PostgreSQL 13+):
// a deleted Database must go even while applications are connected.
func dropDatabaseSQL(name string) (string, error) {
	qn, err := quote(name)
	if err != nil {
		return "", errors.Wrap(err, "database")
	}
	return "DROP DATABASE IF EXISTS " + qn + " WITH (FORCE)", nil
}

// commentOnDatabaseSQL writes the ownership marker as the database's comment.
func commentOnDatabaseSQL(name, marker string) (string, error) {
	qn, err := quote(name)
	if err != nil {
		return "", errors.Wrap(err, "database")
	}
	qm, err := quoteLiteral(marker)
	if err != nil {
		return "", errors.Wrap(err, "marker")
	}
	return "COMMENT ON DATABASE " + qn + " IS " + qm, nil
}

func renameDatabaseSQL(from, to string) (string, error) {
	qf, err := quote(from)
	if err != nil {
		return "", errors.Wrap(err, "database")
	}
	qt, err := quote(to)
	if err != nil {
		return "", errors.Wrap(err, "database")
	}
	return "ALTER DATABASE " + qf + " RENAME TO " + qt, nil
}

// pendingDatabasePrefix starts the name a database is made under before it
// is marked and renamed (see CreateDatabase).
const pendingDatabasePrefix = "dbaas_pending_"

// pendingDatabaseName is the name a database is made under before it gets
// its marker and its own name: fixed for one owner, so that a create cut
// short finds what it made, and unlike any other owner's.
func pendingDatabaseName(marker string) string {
	sum := sha256.Sum256([]byte(marker))
	return pendingDatabasePrefix + hex.EncodeToString(sum[:20])
}

func validEncoding(enc string) error {
	if !encodingPattern.MatchString(enc) {
		return errors.New(errBadEncoding)
	}
	return nil
}
