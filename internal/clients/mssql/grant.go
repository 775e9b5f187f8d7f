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

package mssql

import (
	"context"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errObservePrivileges = "cannot observe privileges"
	errGrant             = "cannot grant privileges"
	errRevoke            = "cannot revoke privileges"
	errUnknownPrivilege  = "%q is not a SQL Server database permission this client grants: use %s or ALL"
	errReadPrivileges    = "cannot read privileges"
)

// databasePermissions are the database-level permissions Grant gives and
// takes, and Privileges reports; ALL expands to them. Their names are
// keywords of GRANT, neither bound nor quoted, so only these get into a
// statement. CONNECT is not among them: a database user has it from its
// creation and UpdateUser restores it, so a Grant that did not list it must
// not revoke it, which would lock the user out of the database.
var databasePermissions = []string{
	"ALTER",
	"ALTER ANY SCHEMA",
	"BACKUP DATABASE",
	"BACKUP LOG",
	"CONTROL",
	"CREATE FUNCTION",
	"CREATE PROCEDURE",
	"CREATE SCHEMA",
	"CREATE SYNONYM",
	"CREATE TABLE",
	"CREATE TYPE",
	"CREATE VIEW",
	"DELETE",
	"EXECUTE",
	"INSERT",
	"REFERENCES",
	"SELECT",
	"SHOWPLAN",
	"UPDATE",
	"VIEW DATABASE STATE",
	"VIEW DEFINITION",
}

// Statements that run in the grant's database, through inDatabase.
const (
	// observePrivilegesSQL lists what the user was granted on the database
	// itself (class 0), with or without grant option.
	observePrivilegesSQL = `SELECT p.permission_name FROM sys.database_permissions p
JOIN sys.database_principals dp ON dp.principal_id = p.grantee_principal_id
WHERE dp.name = @name AND p.class = 0 AND p.state IN ('G', 'W');`

	// grantSQLFormat gives a login a user in the database when it has
	// none (a login needs one there to hold permissions in it), and grants
	// %s, a list of databasePermissions.
	grantSQLFormat = `IF DATABASE_PRINCIPAL_ID(@name) IS NULL
BEGIN
	DECLARE @create nvarchar(max) = N'CREATE USER ' + QUOTENAME(@name) + N' FOR LOGIN ' + QUOTENAME(@name);
	EXEC sys.sp_executesql @create;
END;
DECLARE @sql nvarchar(max) = N'GRANT %s TO ' + QUOTENAME(@name);
EXEC sys.sp_executesql @sql;`

	// revokeSQLFormat revokes %s, a list of databasePermissions, from a
	// user that exists. CASCADE, because one granted WITH GRANT OPTION
	// cannot be revoked without it; it also revokes what the user granted
	// on with that option.
	revokeSQLFormat = `IF DATABASE_PRINCIPAL_ID(@name) IS NOT NULL
BEGIN
	DECLARE @sql nvarchar(max) = N'REVOKE %s FROM ' + QUOTENAME(@name) + N' CASCADE';
	EXEC sys.sp_executesql @sql;
END;`
)

// Privileges returns the permissions among databasePermissions granted to
// the user on database, upper-case and sorted. Others (CONNECT, or anything
// granted by hand) are not this client's to manage and are not listed. A
// user or database that does not exist holds none.
func (c *Client) Privileges(ctx context.Context, u dbms.UserName, database string) ([]string, error) {
	if err := validGrantee(u, database); err != nil {
		return nil, errors.Wrap(err, errObservePrivileges)
	}
	q, args := inDatabase(database, observePrivilegesSQL, skipIfMissing, nameParam(u.Name))
	rows, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, errors.Wrap(err, errObservePrivileges)
	}
	defer rows.Close()
	var privs []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, errors.Wrap(err, errReadPrivileges)
		}
		if p = strings.ToUpper(p); slices.Contains(databasePermissions, p) {
			privs = append(privs, p)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, errors.Wrap(err, errReadPrivileges)
	}
	return dbms.NormalizePrivileges(privs, databasePermissions), nil
}

// Grant grants the privileges on database to the user, first giving a
// login a user there when it has none.
func (c *Client) Grant(ctx context.Context, u dbms.UserName, database string, privileges []string) error {
	return c.grantOrRevoke(ctx, grantSQLFormat, failIfMissing, errGrant, u, database, privileges)
}

// Revoke revokes the privileges on database from the user. A user or
// database that does not exist holds none, which is not an error.
func (c *Client) Revoke(ctx context.Context, u dbms.UserName, database string, privileges []string) error {
	return c.grantOrRevoke(ctx, revokeSQLFormat, skipIfMissing, errRevoke, u, database, privileges)
}

func (c *Client) grantOrRevoke(ctx context.Context, format, ifMissing, msg string, u dbms.UserName, database string, privileges []string) error {
	privs, err := checkPrivileges(privileges)
	if err != nil {
		return errors.Wrap(err, msg)
	}
	if len(privs) == 0 {
		return nil
	}
	if err := validGrantee(u, database); err != nil {
		return errors.Wrap(err, msg)
	}
	// The list is made of databasePermissions only; it cannot hold a quote.
	stmt := strings.Replace(format, "%s", strings.Join(privs, ", "), 1)
	q, args := inDatabase(database, stmt, ifMissing, nameParam(u.Name))
	_, err = c.db.ExecContext(ctx, q, args...)
	return errors.Wrap(err, msg)
}

// NormalizePrivileges returns privileges as Privileges reports them, or an
// error that lists the accepted names when one is not among them.
func (c *Client) NormalizePrivileges(privileges []string) ([]string, error) {
	return checkPrivileges(privileges)
}

// checkPrivileges normalises privileges and refuses any that is not one of
// databasePermissions.
func checkPrivileges(privileges []string) ([]string, error) {
	out := dbms.NormalizePrivileges(privileges, databasePermissions)
	for _, p := range out {
		if !slices.Contains(databasePermissions, p) {
			return nil, errors.Errorf(errUnknownPrivilege, p, strings.Join(databasePermissions, ", "))
		}
	}
	return out, nil
}

func validGrantee(u dbms.UserName, database string) error {
	if err := validUserName(u); err != nil {
		return err
	}
	return errors.Wrap(validName(database), "database")
}
