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

// Neither CREATE LOGIN nor CREATE USER takes a parameter for the name or
// the password. Passwords are therefore not written into the text the
// client sends: the statements below are constants that build the DDL on
// the server, from @name and @password bound as parameter values, and run
// it with sp_executesql. The name is quoted there by QUOTENAME; the password
// becomes an N'...' literal with its quotes doubled. Doubling is done with
// REPLACE rather than QUOTENAME(@password, ''''), because QUOTENAME returns
// NULL for more than 128 characters, which would make the statement NULL
// and EXEC do nothing at all; and under a binary collation, so that only the
// apostrophe itself is doubled, not a character some collation deems equal
// to it (such as the full-width one), which would change the password.

// passwordLiteral is a T-SQL expression: @password as an N'...' literal.
const passwordLiteral = `N'N''' + REPLACE(@password COLLATE Latin1_General_BIN2, N'''', N'''''') + N''''`

// Statements that run in the connected database (logins are server-wide).
const (
	// observeLoginSQL finds a SQL Server-authenticated login.
	observeLoginSQL = `SELECT is_disabled FROM sys.server_principals WHERE name = @p1 AND type = 'S'`

	createLoginSQL = `DECLARE @sql nvarchar(max) = N'CREATE LOGIN ' + QUOTENAME(@name) + N' WITH PASSWORD = ' + ` + passwordLiteral + `;
EXEC sys.sp_executesql @sql;`

	alterLoginPasswordSQL = `DECLARE @sql nvarchar(max) = N'ALTER LOGIN ' + QUOTENAME(@name) + N' WITH PASSWORD = ' + ` + passwordLiteral + `;
EXEC sys.sp_executesql @sql;`

	enableLoginSQL = `DECLARE @sql nvarchar(max) = N'ALTER LOGIN ' + QUOTENAME(@name) + N' ENABLE';
EXEC sys.sp_executesql @sql;`

	// dropLoginSQL ends the login's sessions and drops it: DROP LOGIN
	// fails while the login is connected, and a deleted User must go even
	// while applications are (as DropDatabase ends a database's sessions).
	// A login that does not exist is not an error.
	dropLoginSQL = `IF EXISTS (SELECT 1 FROM sys.server_principals WHERE name = @name AND type = 'S')
BEGIN
	DECLARE @sql nvarchar(max);
	SELECT @sql = STRING_AGG(CONVERT(nvarchar(max), N'KILL ' + CONVERT(nvarchar(11), session_id) + N';'), N' ')
	FROM sys.dm_exec_sessions WHERE login_name = @name AND session_id <> @@SPID;
	SET @sql = CONCAT(@sql, N' DROP LOGIN ', QUOTENAME(@name), N';');
	EXEC sys.sp_executesql @sql;
END;`
)

// Statements that run in a user's database, through inDatabase.
const (
	// observeDatabaseUserSQL returns how the user authenticates (1 through
	// its login, 2 with its own password: contained), whether it is mapped
	// to the login of its name, and whether it may connect.
	observeDatabaseUserSQL = `SELECT dp.authentication_type,
	CONVERT(bit, CASE WHEN EXISTS (SELECT 1 FROM sys.server_principals sp WHERE sp.sid = dp.sid AND sp.name = @name) THEN 1 ELSE 0 END),
	CONVERT(bit, CASE WHEN EXISTS (SELECT 1 FROM sys.database_permissions p
		WHERE p.grantee_principal_id = dp.principal_id AND p.class = 0 AND p.type = 'CO' AND p.state IN ('G', 'W')) THEN 1 ELSE 0 END)
FROM sys.database_principals dp WHERE dp.name = @name AND dp.type = 'S';`

	createContainedUserSQL = `DECLARE @sql nvarchar(max) = N'CREATE USER ' + QUOTENAME(@name) + N' WITH PASSWORD = ' + ` + passwordLiteral + `;
EXEC sys.sp_executesql @sql;`

	alterContainedPasswordSQL = `DECLARE @sql nvarchar(max) = N'ALTER USER ' + QUOTENAME(@name) + N' WITH PASSWORD = ' + ` + passwordLiteral + `;
EXEC sys.sp_executesql @sql;`

	grantConnectSQL = `DECLARE @sql nvarchar(max) = N'GRANT CONNECT TO ' + QUOTENAME(@name);
EXEC sys.sp_executesql @sql;`

	// ensureLoginUserSQL gives the login of @name a user of the same name
	// that may connect: it creates the user, or maps an existing one that
	// is not the login's (as a restored database's users are not), and
	// grants CONNECT.
	ensureLoginUserSQL = `DECLARE @sql nvarchar(max) = N'';
IF DATABASE_PRINCIPAL_ID(@name) IS NULL
BEGIN
	SET @sql = N'CREATE USER ' + QUOTENAME(@name) + N' FOR LOGIN ' + QUOTENAME(@name) + N'; ';
END
ELSE IF NOT EXISTS (SELECT 1 FROM sys.database_principals dp JOIN sys.server_principals sp ON sp.sid = dp.sid
	WHERE dp.name = @name AND sp.name = @name)
BEGIN
	SET @sql = N'ALTER USER ' + QUOTENAME(@name) + N' WITH LOGIN = ' + QUOTENAME(@name) + N'; ';
END;
SET @sql += N'GRANT CONNECT TO ' + QUOTENAME(@name) + N';';
EXEC sys.sp_executesql @sql;`

	// dropDatabaseUserSQL hands the schemas the user owns to dbo, which
	// DROP USER requires (objects belong to schemas, not users, so nothing
	// else is dropped or handed over), and drops the user. A user that does
	// not exist is not an error.
	dropDatabaseUserSQL = `IF DATABASE_PRINCIPAL_ID(@name) IS NOT NULL
BEGIN
	DECLARE @sql nvarchar(max);
	SELECT @sql = STRING_AGG(CONVERT(nvarchar(max), N'ALTER AUTHORIZATION ON SCHEMA::' + QUOTENAME(name) + N' TO dbo;'), N' ')
	FROM sys.schemas WHERE principal_id = DATABASE_PRINCIPAL_ID(@name);
	SET @sql = CONCAT(@sql, N' DROP USER ', QUOTENAME(@name), N';');
	EXEC sys.sp_executesql @sql;
END;`
)
