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
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

func TestStatements(t *testing.T) {
	type want struct {
		SQL string
		Err bool
	}
	const hash = "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19" // of "password"
	app := dbms.UserName{Name: "app"}
	cases := map[string]struct {
		reason string
		build  func() (string, error)
		want   want
	}{
		"CreateDatabase": {
			reason: "Without options only the name is given",
			build:  func() (string, error) { return createDatabaseSQL("app", "", "", "") },
			want:   want{SQL: "CREATE DATABASE `app`"},
		},
		"CreateDatabaseCharset": {
			reason: "Character set and collation are written as names",
			build:  func() (string, error) { return createDatabaseSQL("a`b", "utf8mb4", "utf8mb4_bin", "") },
			want:   want{SQL: "CREATE DATABASE `a``b` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"},
		},
		"CreateDatabaseMarked": {
			reason: "The ownership marker is the database's comment, quoted as a literal in the CREATE itself",
			build:  func() (string, error) { return createDatabaseSQL("app", "", "", `dbaas.io/owner=team-a/1234' x\`) },
			want:   want{SQL: "CREATE DATABASE `app` COMMENT 'dbaas.io/owner=team-a/1234'' x\\\\'"},
		},
		"AlterDatabaseMarker": {
			reason: "An import writes the marker with ALTER DATABASE ... COMMENT",
			build:  func() (string, error) { return alterDatabaseSQL("app", "", "", "dbaas.io/owner=team-a/1234") },
			want:   want{SQL: "ALTER DATABASE `app` COMMENT 'dbaas.io/owner=team-a/1234'"},
		},
		"CreateDatabaseBadCharset": {
			reason: "A character set that is not a name is refused",
			build:  func() (string, error) { return createDatabaseSQL("app", "utf8; DROP DATABASE mysql", "", "") },
			want:   want{Err: true},
		},
		"CreateDatabaseBadCollation": {
			reason: "A collation that is not a name is refused",
			build:  func() (string, error) { return createDatabaseSQL("app", "", "x' OR '1", "") },
			want:   want{Err: true},
		},
		"CreateSystemDatabase": {
			reason: "The server's own databases are not managed",
			build:  func() (string, error) { return createDatabaseSQL("MySQL", "", "", "") },
			want:   want{Err: true},
		},
		"AlterDatabase": {
			reason: "Only the collation may be given",
			build:  func() (string, error) { return alterDatabaseSQL("app", "", "latin1_bin", "") },
			want:   want{SQL: "ALTER DATABASE `app` COLLATE latin1_bin"},
		},
		"DropDatabase": {
			reason: "A database that is gone is not an error",
			build:  func() (string, error) { return dropDatabaseSQL("app") },
			want:   want{SQL: "DROP DATABASE IF EXISTS `app`"},
		},
		"DropSystemDatabase": {
			reason: "The server's own databases are never dropped",
			build:  func() (string, error) { return dropDatabaseSQL("mysql") },
			want:   want{Err: true},
		},
		"CreateUser": {
			reason: "The password is set by its hash; the account is unlocked",
			build: func() (string, error) {
				return createUserSQL(dbms.UserName{Name: "a'b", Host: "10.%"}, dbms.UserParameters{Password: "password"}, 128)
			},
			want: want{SQL: "CREATE USER 'a''b'@'10.%' IDENTIFIED WITH mysql_native_password AS '" + hash + "' ACCOUNT UNLOCK"},
		},
		"CreateUserLimits": {
			reason: "Limits that are set are written as numbers",
			build: func() (string, error) {
				return createUserSQL(app, dbms.UserParameters{Password: "password", Limits: dbms.ResourceLimits{
					MaxQueriesPerHour: ptr[int32](1), MaxUpdatesPerHour: ptr[int32](2), MaxConnectionsPerHour: ptr[int32](3), MaxUserConnections: ptr[int32](0),
				}}, 128)
			},
			want: want{SQL: "CREATE USER 'app'@'%' IDENTIFIED WITH mysql_native_password AS '" + hash + "'" +
				" WITH MAX_QUERIES_PER_HOUR 1 MAX_UPDATES_PER_HOUR 2 MAX_CONNECTIONS_PER_HOUR 3 MAX_USER_CONNECTIONS 0 ACCOUNT UNLOCK"},
		},
		"CreateUserNoPassword": {
			reason: "An account without a password would let anyone in",
			build:  func() (string, error) { return createUserSQL(app, dbms.UserParameters{}, 128) },
			want:   want{Err: true},
		},
		"CreateUserNegativeLimit": {
			reason: "A negative limit is refused",
			build: func() (string, error) {
				return createUserSQL(app, dbms.UserParameters{Password: "p", Limits: dbms.ResourceLimits{MaxUserConnections: ptr[int32](-1)}}, 128)
			},
			want: want{Err: true},
		},
		"AlterUser": {
			reason: "Without a password only the lock and the limits set change",
			build: func() (string, error) {
				return alterUserSQL(app, dbms.UserParameters{Limits: dbms.ResourceLimits{MaxUpdatesPerHour: ptr[int32](9)}}, 128)
			},
			want: want{SQL: "ALTER USER 'app'@'%' WITH MAX_UPDATES_PER_HOUR 9 ACCOUNT UNLOCK"},
		},
		"AlterUserPassword": {
			reason: "A new password is set by its hash",
			build:  func() (string, error) { return alterUserSQL(app, dbms.UserParameters{Password: "password"}, 128) },
			want:   want{SQL: "ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password AS '" + hash + "' ACCOUNT UNLOCK"},
		},
		"DropUser": {
			reason: "An account that is gone is not an error",
			build:  func() (string, error) { return dropUserSQL(dbms.UserName{Name: `a\`, Host: "h"}, 128) },
			want:   want{SQL: `DROP USER IF EXISTS 'a\\'@'h'`},
		},
		"DropUserLong": {
			reason: "A name longer than the engine's limit is refused",
			build:  func() (string, error) { return dropUserSQL(dbms.UserName{Name: strings.Repeat("u", 33)}, 32) },
			want:   want{Err: true},
		},
		"Grant": {
			reason: "Wildcards in the database name are escaped so that the grant reaches only it",
			build: func() (string, error) {
				return privilegeSQL("GRANT", " TO ", app, "app_1%", []string{"INSERT", "SELECT"}, 128)
			},
			want: want{SQL: "GRANT INSERT, SELECT ON `app\\_1\\%`.* TO 'app'@'%'"},
		},
		"GrantLongPattern": {
			reason: "A name whose escaped form is longer than the server takes is refused, not granted as a wildcard",
			build: func() (string, error) {
				return privilegeSQL("GRANT", " TO ", app, strings.Repeat("a_", 32), []string{"SELECT"}, 128)
			},
			want: want{Err: true},
		},
		"GrantMaxPattern": {
			reason: "An escaped form of 64 characters is fine",
			build: func() (string, error) {
				return privilegeSQL("GRANT", " TO ", app, strings.Repeat("_", 32), []string{"SELECT"}, 128)
			},
			want: want{SQL: "GRANT SELECT ON `" + strings.Repeat(`\_`, 32) + "`.* TO 'app'@'%'"},
		},
		"Revoke": {
			reason: "Backticks in the database name are doubled after escaping",
			build: func() (string, error) {
				return privilegeSQL("REVOKE", " FROM ", app, "x`\\", []string{"SELECT"}, 128)
			},
			want: want{SQL: "REVOKE SELECT ON `x``\\\\`.* FROM 'app'@'%'"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			q, err := tc.build()
			if diff := cmp.Diff(tc.want, want{SQL: q, Err: err != nil}); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCallSQL(t *testing.T) {
	type want struct {
		SQL  string
		Args []any
		Err  bool
	}
	cases := map[string]struct {
		reason string
		call   dbms.Call
		want   want
	}{
		"Qualified": {
			reason: "Both parts are quoted; values are bound in order, names only document them",
			call:   dbms.Call{Procedure: "dba.make_db", Args: []dbms.Arg{{Name: "b", Value: "x'); DROP DATABASE mysql; --"}, {Name: "a", Value: "2"}}},
			want:   want{SQL: "CALL `dba`.`make_db`(?, ?)", Args: []any{"x'); DROP DATABASE mysql; --", "2"}},
		},
		"Unqualified": {
			reason: "A name without schema is called in the connection's database",
			call:   dbms.Call{Procedure: "p`q"},
			want:   want{SQL: "CALL `p``q`()", Args: []any{}},
		},
		"ThreeParts": {
			reason: "Only name or schema.name is accepted",
			call:   dbms.Call{Procedure: "a.b.c"},
			want:   want{Err: true},
		},
		"EmptyPart": {
			reason: "An empty part is refused",
			call:   dbms.Call{Procedure: "a."},
			want:   want{Err: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			q, args, err := callSQL(tc.call)
			if diff := cmp.Diff(tc.want, want{SQL: q, Args: args, Err: err != nil}); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestNormalizePrivileges(t *testing.T) {
	type want struct {
		Privs []string
		Err   string
	}
	cases := map[string]struct {
		reason string
		engine engine
		in     []string
		want   want
	}{
		"Sorted": {
			reason: "Names are upper-cased, de-duplicated and sorted",
			engine: mariadbEngine,
			in:     []string{"select", "INSERT", "Select", "lock  tables"},
			want:   want{Privs: []string{"INSERT", "LOCK TABLES", "SELECT"}},
		},
		"AllMariaDB": {
			reason: "ALL is every database privilege of the engine",
			engine: mariadbEngine,
			in:     []string{"all privileges"},
			want:   want{Privs: mariadbEngine.privileges},
		},
		"AllMySQL": {
			reason: "MySQL has no DELETE HISTORY",
			engine: mysqlEngine,
			in:     []string{"ALL"},
			want:   want{Privs: mysqlEngine.privileges},
		},
		"HistoryOnMySQL": {
			reason: "A MariaDB privilege is refused on MySQL",
			engine: mysqlEngine,
			in:     []string{"DELETE HISTORY"},
			want:   want{Err: `"DELETE HISTORY" is not a MySQL database privilege: use ALTER, ALTER ROUTINE, CREATE, CREATE ROUTINE, CREATE TEMPORARY TABLES, CREATE VIEW, DELETE, DROP, EVENT, EXECUTE, INDEX, INSERT, LOCK TABLES, REFERENCES, SELECT, SHOW VIEW, TRIGGER, UPDATE or ALL`},
		},
		"Global": {
			reason: "A global privilege is not a database privilege",
			engine: mariadbEngine,
			in:     []string{"SUPER"},
			want:   want{Err: `"SUPER" is not a MariaDB database privilege: use ALTER, ALTER ROUTINE, CREATE, CREATE ROUTINE, CREATE TEMPORARY TABLES, CREATE VIEW, DELETE, DELETE HISTORY, DROP, EVENT, EXECUTE, INDEX, INSERT, LOCK TABLES, REFERENCES, SELECT, SHOW VIEW, TRIGGER, UPDATE or ALL`},
		},
		"Injection": {
			reason: "Anything else is refused, so it never reaches the statement",
			engine: mariadbEngine,
			in:     []string{"SELECT ON *.* TO x; --"},
			want:   want{Err: `"SELECT ON *.* TO X; --" is not a MariaDB database privilege: use ALTER, ALTER ROUTINE, CREATE, CREATE ROUTINE, CREATE TEMPORARY TABLES, CREATE VIEW, DELETE, DELETE HISTORY, DROP, EVENT, EXECUTE, INDEX, INSERT, LOCK TABLES, REFERENCES, SELECT, SHOW VIEW, TRIGGER, UPDATE or ALL`},
		},
		"GrantOption": {
			reason: "GRANT OPTION is not handed out",
			engine: mariadbEngine,
			in:     []string{"GRANT OPTION"},
			want:   want{Err: `"GRANT OPTION" is not a MariaDB database privilege: use ALTER, ALTER ROUTINE, CREATE, CREATE ROUTINE, CREATE TEMPORARY TABLES, CREATE VIEW, DELETE, DELETE HISTORY, DROP, EVENT, EXECUTE, INDEX, INSERT, LOCK TABLES, REFERENCES, SELECT, SHOW VIEW, TRIGGER, UPDATE or ALL`},
		},
		"Empty": {
			reason: "No privileges are no privileges",
			engine: mariadbEngine,
			in:     nil,
			want:   want{Privs: []string{}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := &Client{engine: tc.engine}
			got, err := c.NormalizePrivileges(tc.in)
			w := want{Privs: got}
			if err != nil {
				w.Err = err.Error()
			}
			if diff := cmp.Diff(tc.want, w); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestEngineOf(t *testing.T) {
	for _, e := range []dbms.Engine{dbms.MySQL, dbms.MariaDB} {
		if _, err := engineOf(e); err != nil {
			t.Errorf("engineOf(%q): %v", e, err)
		}
	}
	for _, e := range []dbms.Engine{dbms.PostgreSQL, dbms.SQLServer, ""} {
		if _, err := engineOf(e); err == nil {
			t.Errorf("engineOf(%q) accepted an engine this client does not speak", e)
		}
	}
}
