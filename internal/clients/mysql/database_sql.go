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
	"regexp"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// charsetPattern is what a character set or collation name may look like.
// They are keywords of the statement, which cannot be bound; the pattern is
// what keeps anything but a name out of the text, and the server refuses a
// name it does not know.
var charsetPattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

const (
	errBadCharset   = "characterSet %q must match ^[A-Za-z0-9_]{1,64}$"
	errBadCollation = "collation %q must match ^[A-Za-z0-9_]{1,64}$"
)

// observeDatabaseSQL finds a database; its name is bound. The comment
// (MariaDB 10.5+) holds the ownership marker; MySQL has no such column.
const (
	observeDatabaseSQL = `SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME, ''
FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`
	observeCommentedDatabaseSQL = `SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME, IFNULL(SCHEMA_COMMENT, '')
FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`
)

// createDatabaseSQL builds CREATE DATABASE; comment, when not empty, is
// written with it (MariaDB only), so the database never exists without it.
func createDatabaseSQL(name, charset, collation, comment string) (string, error) {
	qn, err := quoteManagedDatabase(name)
	if err != nil {
		return "", err
	}
	opts, err := charsetClause(charset, collation)
	if err != nil {
		return "", err
	}
	return "CREATE DATABASE " + qn + opts + commentClause(comment), nil
}

func alterDatabaseSQL(name, charset, collation, comment string) (string, error) {
	qn, err := quoteManagedDatabase(name)
	if err != nil {
		return "", err
	}
	opts, err := charsetClause(charset, collation)
	if err != nil {
		return "", err
	}
	return "ALTER DATABASE " + qn + opts + commentClause(comment), nil
}

// commentClause is quoted by quoteString, as every literal of this client.
func commentClause(comment string) string {
	if comment == "" {
		return ""
	}
	return " COMMENT " + quoteString(comment)
}

func dropDatabaseSQL(name string) (string, error) {
	qn, err := quoteManagedDatabase(name)
	if err != nil {
		return "", err
	}
	return "DROP DATABASE IF EXISTS " + qn, nil
}

// quoteManagedDatabase quotes a database this client may change.
func quoteManagedDatabase(name string) (string, error) {
	qn, err := quoteIdentifier(name)
	if err != nil {
		return "", errors.Wrap(err, "database name")
	}
	if err := checkNotSystem(name); err != nil {
		return "", err
	}
	return qn, nil
}

func charsetClause(charset, collation string) (string, error) {
	var b strings.Builder
	if charset != "" {
		if !charsetPattern.MatchString(charset) {
			return "", errors.Errorf(errBadCharset, charset)
		}
		b.WriteString(" CHARACTER SET " + charset)
	}
	if collation != "" {
		if !charsetPattern.MatchString(collation) {
			return "", errors.Errorf(errBadCollation, collation)
		}
		b.WriteString(" COLLATE " + collation)
	}
	return b.String(), nil
}
