package sqlserver

import (
	"strings"
	"unicode/utf8"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const errIdent = "%s must be 1 to 128 characters of UTF-8 without NUL bytes: %q"

// Ident returns name as a delimited T-SQL identifier, as QUOTENAME does:
// in brackets, with each closing bracket doubled.
func Ident(name string) string {
	return "[" + strings.ReplaceAll(name, "]", "]]") + "]"
}

// String returns s as a Unicode T-SQL string literal: N'...' with each
// single quote doubled. Nothing else is special inside one.
func String(s string) string {
	return "N'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// checkIdent refuses names SQL Server cannot hold, so that a batch fails
// here rather than half-way on the server.
func checkIdent(what, name string) error {
	if name == "" || utf8.RuneCountInString(name) > 128 || !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
		return errors.Errorf(errIdent, what, name)
	}
	return nil
}
