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
	"context"
	"database/sql"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errObservePrivileges = "cannot observe privileges"
	errGrant             = "cannot grant privileges"
	errRevoke            = "cannot revoke privileges"
	errUnknownPrivilege  = "%q is not a %s database privilege: use %s or ALL"
	errLongPattern       = "the database name cannot be granted on: with its wildcards (_, %%) and backslashes escaped, so that the grant reaches no other database, it is longer than %d characters"
)

// privilegesSQL reads the account's grant on the database: one row of
// mysql.db, whose *_priv columns are Y or N. Every input is bound.
const privilegesSQL = `SELECT * FROM mysql.db WHERE Host = ? AND User = ? AND Db = ?`

// Privileges returns the privileges the account was granted on the database
// (ON db.*), upper-case and sorted. GRANT OPTION is not listed.
func (c *Client) Privileges(ctx context.Context, u dbms.UserName, database string) ([]string, error) {
	if _, err := account(u.Name, u.Host, c.engine.maxUserChars); err != nil {
		return nil, errors.Wrap(err, errObservePrivileges)
	}
	if _, err := quoteIdentifier(database); err != nil {
		return nil, errors.Wrap(errors.Wrap(err, "database name"), errObservePrivileges)
	}
	held, err := c.privileges(ctx, u, database)
	if err != nil {
		return nil, errors.Wrap(err, errObservePrivileges)
	}
	return dbms.NormalizePrivileges(held, c.engine.privileges), nil
}

func (c *Client) privileges(ctx context.Context, u dbms.UserName, database string) ([]string, error) {
	host, pattern := hostOf(u.Host), escapeDatabasePattern(database)
	rows, err := c.db.QueryContext(ctx, privilegesSQL, host, u.Name, pattern)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var held []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := map[string]string{}
		for i, col := range cols {
			row[strings.ToLower(col)] = vals[i].String
		}
		// The key columns compare with padding; only the row of exactly
		// this account and database is ours.
		if row["host"] != host || row["user"] != u.Name || row["db"] != pattern {
			continue
		}
		for i, col := range cols {
			if p := privilegeOfColumn(col); p != "" && vals[i].String == "Y" {
				held = append(held, p)
			}
		}
	}
	return held, rows.Err()
}

// privilegeOfColumn names the privilege a mysql.db column holds
// (Create_tmp_table_priv is CREATE TEMPORARY TABLES), or "" for a column
// that holds none, or GRANT OPTION. Columns of privileges this client does
// not know (those of newer servers) are named by the same rule the others
// follow, so that they are reported rather than hidden.
func privilegeOfColumn(col string) string {
	base, ok := strings.CutSuffix(strings.ToLower(col), "_priv")
	switch {
	case !ok || base == "grant":
		return ""
	case base == "create_tmp_table":
		return "CREATE TEMPORARY TABLES"
	default:
		return strings.ToUpper(strings.ReplaceAll(base, "_", " "))
	}
}

// Grant gives the account the privileges on the database (ON db.*).
func (c *Client) Grant(ctx context.Context, u dbms.UserName, database string, privileges []string) error {
	privs, err := c.NormalizePrivileges(privileges)
	if err != nil {
		return errors.Wrap(err, errGrant)
	}
	if err := checkNotSystem(database); err != nil {
		return errors.Wrap(err, errGrant)
	}
	if len(privs) == 0 {
		return nil
	}
	q, err := privilegeSQL("GRANT", " TO ", u, database, privs, c.engine.maxUserChars)
	if err != nil {
		return errors.Wrap(err, errGrant)
	}
	_, err = c.db.ExecContext(ctx, q)
	return errors.Wrap(err, errGrant)
}

// Revoke takes the privileges on the database from the account. Only those
// it holds are revoked: the server refuses to revoke a grant that does not
// exist, and revoking what is not there has nothing to do.
func (c *Client) Revoke(ctx context.Context, u dbms.UserName, database string, privileges []string) error {
	privs, err := c.NormalizePrivileges(privileges)
	if err != nil {
		return errors.Wrap(err, errRevoke)
	}
	held, err := c.Privileges(ctx, u, database)
	if err != nil {
		return errors.Wrap(err, errRevoke)
	}
	privs = slices.DeleteFunc(privs, func(p string) bool { return !slices.Contains(held, p) })
	if len(privs) == 0 {
		return nil
	}
	q, err := privilegeSQL("REVOKE", " FROM ", u, database, privs, c.engine.maxUserChars)
	if err != nil {
		return errors.Wrap(err, errRevoke)
	}
	_, err = c.db.ExecContext(ctx, q)
	return errors.Wrap(err, errRevoke)
}

// NormalizePrivileges returns privileges as Privileges reports them
// (upper-case, sorted, ALL expanded), or an error that lists the accepted
// names when one is not a database privilege of the engine. Privileges are
// keywords, which cannot be bound or quoted: this list is what keeps
// anything else out of the statement text.
func (c *Client) NormalizePrivileges(privileges []string) ([]string, error) {
	privs := dbms.NormalizePrivileges(privileges, c.engine.privileges)
	for _, p := range privs {
		if !slices.Contains(c.engine.privileges, p) {
			return nil, errors.Errorf(errUnknownPrivilege, p, c.engine.label, strings.Join(c.engine.privileges, ", "))
		}
	}
	return privs, nil
}

// privilegeSQL builds GRANT or REVOKE of checked privileges on db.*, with
// the database's wildcards escaped so that the grant reaches that database
// and no other.
func privilegeSQL(verb, preposition string, u dbms.UserName, database string, privileges []string, maxUserChars int) (string, error) {
	acct, err := account(u.Name, u.Host, maxUserChars)
	if err != nil {
		return "", err
	}
	if _, err := quoteIdentifier(database); err != nil {
		return "", errors.Wrap(err, "database name")
	}
	pattern := escapeDatabasePattern(database)
	if utf8.RuneCountInString(pattern) > maxIdentifierChars {
		return "", errors.Errorf(errLongPattern, maxIdentifierChars)
	}
	target := "`" + strings.ReplaceAll(pattern, "`", "``") + "`.*"
	return verb + " " + strings.Join(privileges, ", ") + " ON " + target + preposition + acct, nil
}
