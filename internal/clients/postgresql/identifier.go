package postgresql

import (
	"strings"
	"unicode/utf8"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"
)

// maxIdentifierBytes is NAMEDATALEN-1. PostgreSQL silently truncates longer
// names, so the object would not have the name that was asked for.
const maxIdentifierBytes = 63

const (
	errEmptyName   = "name must not be empty"
	errLongName    = "name must be at most 63 bytes"
	errNULName     = "name must not contain NUL"
	errInvalidUTF8 = "name must be valid UTF-8"
)

// quote returns name as a quoted SQL identifier, or an error when the server
// would store the object under a different name than name: pgx drops NUL
// bytes while quoting, and the server truncates long names.
func quote(name string) (string, error) {
	switch {
	case name == "":
		return "", errors.New(errEmptyName)
	case strings.IndexByte(name, 0) >= 0:
		return "", errors.New(errNULName)
	case !utf8.ValidString(name):
		return "", errors.New(errInvalidUTF8)
	case len(name) > maxIdentifierBytes:
		return "", errors.New(errLongName)
	}
	return pgx.Identifier{name}.Sanitize(), nil
}

const errNULLiteral = "text must not contain NUL"

// quoteLiteral returns s as an escape string constant (E'...'), for the
// utility statements that take no bind parameters (COMMENT ON). Quotes and
// backslashes are doubled, which reads back as s whatever
// standard_conforming_strings is, because an E” string always treats a
// backslash as an escape.
func quoteLiteral(s string) (string, error) {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "", errors.New(errNULLiteral)
	case !utf8.ValidString(s):
		return "", errors.New(errInvalidUTF8)
	}
	r := strings.NewReplacer(`\`, `\\`, `'`, `''`)
	return "E'" + r.Replace(s) + "'", nil
}
