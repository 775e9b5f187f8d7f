/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package mysql

import (
	"strings"
	"unicode/utf8"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Longest names, in characters, that the server stores as given.
const (
	// maxIdentifierChars is NAME_CHAR_LEN: databases, routines.
	maxIdentifierChars = 64
	// maxHostChars is the length of mysql.user's Host column (MySQL
	// 8.0.17+, MariaDB 10.6+; older servers refuse longer hosts themselves).
	maxHostChars = 255
)

const (
	errEmptyName    = "must not be empty"
	errInvalidUTF8  = "must be valid UTF-8"
	errNULName      = "must not contain NUL"
	errSupplemental = "must not contain %U: names are stored as utf8mb3, which has no characters beyond U+FFFF"
	errLongName     = "must be at most %d characters"
	errTrailing     = "must not end with white space, which the server drops or refuses"
	errUpperHost    = "must be lower-case: the server stores host names lower-cased"
)

// checkName refuses a name that the server would store as something else or
// refuse: identifiers and account names are utf8mb3 (no characters beyond
// the Basic Multilingual Plane), NUL is not allowed, longer names are
// refused, and trailing spaces are dropped from user and host names (CHAR
// columns) and refused in database names.
func checkName(name string, maxChars int) error {
	switch {
	case name == "":
		return errors.New(errEmptyName)
	case !utf8.ValidString(name):
		return errors.New(errInvalidUTF8)
	case strings.IndexByte(name, 0) >= 0:
		return errors.New(errNULName)
	}
	for _, r := range name {
		if r > 0xFFFF {
			return errors.Errorf(errSupplemental, r)
		}
	}
	if utf8.RuneCountInString(name) > maxChars {
		return errors.Errorf(errLongName, maxChars)
	}
	if last, _ := utf8.DecodeLastRuneInString(name); strings.ContainsRune(" \t\n\v\f\r", last) {
		return errors.New(errTrailing)
	}
	return nil
}

// quoteIdentifier returns name as a backtick-quoted identifier, which the
// server reads back as name whatever the sql_mode: inside backticks only a
// backtick is special, and it is doubled.
func quoteIdentifier(name string) (string, error) {
	if err := checkName(name, maxIdentifierChars); err != nil {
		return "", err
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`", nil
}

// quoteString returns s as a single-quoted string literal. Account names
// must be literals: CREATE USER, ALTER USER, DROP USER, GRANT and REVOKE
// take no placeholders for them (the server answers a syntax error). The
// escaping is the one that is exact for how every connection of this client
// is set up (see driverConfig): with NO_BACKSLASH_ESCAPES taken out of the
// session's sql_mode a backslash escapes the next character, so each
// backslash is doubled, and a quote is doubled, which is read as one quote
// in every mode; and the utf8mb4 connection character set has no character
// that could hide either byte. Names are checked first (checkName), so no
// NUL or invalid UTF-8 reaches it. FuzzQuoteString checks the round trip.
func quoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`''`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// defaultHost is the host of an account when none is given: any host.
const defaultHost = "%"

// account returns 'name'@'host' for an account statement, or an error when
// the server would store the account under another name. maxUserChars is
// the engine's limit.
func account(name, host string, maxUserChars int) (string, error) {
	if err := checkName(name, maxUserChars); err != nil {
		return "", errors.Wrap(err, "user name")
	}
	h := hostOf(host)
	if err := checkName(h, maxHostChars); err != nil {
		return "", errors.Wrap(err, "host")
	}
	if strings.ToLower(h) != h {
		return "", errors.Wrap(errors.New(errUpperHost), "host")
	}
	return quoteString(name) + "@" + quoteString(h), nil
}

// hostOf returns host, or any host when it is empty.
func hostOf(host string) string {
	if host == "" {
		return defaultHost
	}
	return host
}

// escapeDatabasePattern escapes the wildcards of database-level grants. In
// GRANT ... ON `db`.* the name is a pattern where _ and % match any
// characters (so a grant on app_1 would also reach app11), and a backslash
// escapes; escaping all three makes the grant reach exactly db. mysql.db
// stores the escaped form.
func escapeDatabasePattern(db string) string {
	r := strings.NewReplacer(`\`, `\\`, `_`, `\_`, `%`, `\%`)
	return r.Replace(db)
}

// systemSchemas are the server's own databases. The client refuses to
// create, change, drop or grant on them: a grant on mysql.* lets a user
// rewrite the grant tables, that is, become an administrator.
var systemSchemas = []string{"information_schema", "mysql", "performance_schema", "sys"}

const errSystemSchema = "%q is a system database, which this client does not manage or grant on"

// checkNotSystem refuses the server's own databases, in any case (they are
// case-insensitive where lower_case_table_names is set).
func checkNotSystem(db string) error {
	for _, s := range systemSchemas {
		if strings.EqualFold(db, s) {
			return errors.Errorf(errSystemSchema, db)
		}
	}
	return nil
}
