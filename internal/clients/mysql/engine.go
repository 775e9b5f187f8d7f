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
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// An engine is what differs between MySQL and MariaDB.
type engine struct {
	// label names the engine in messages.
	label string
	// privileges are every privilege the engine has on a database, sorted;
	// ALL expands to them.
	privileges []string
	// maxUserChars is the longest user name the server accepts.
	maxUserChars int
	// observeUserSQL reads an account's name, host, resource limits and
	// whether it is locked, with the name and host bound.
	observeUserSQL string
	// authSQL reads an account's name, host, authentication plugin and
	// stored password hash, with the name and host bound.
	authSQL string
	// databaseComments says whether databases take a COMMENT (MariaDB
	// 10.5+), which holds their ownership marker; MySQL's are recorded in
	// the owners table instead.
	databaseComments bool
}

// Privileges both engines have on a database, sorted. GRANT OPTION is left
// out: it is not part of ALL, and handing on privileges is not something a
// managed user should get by accident.
var commonPrivileges = []string{
	"ALTER", "ALTER ROUTINE", "CREATE", "CREATE ROUTINE", "CREATE TEMPORARY TABLES",
	"CREATE VIEW", "DELETE", "DROP", "EVENT", "EXECUTE", "INDEX", "INSERT",
	"LOCK TABLES", "REFERENCES", "SELECT", "SHOW VIEW", "TRIGGER", "UPDATE",
}

var (
	mysqlEngine = engine{
		label:        "MySQL",
		privileges:   commonPrivileges,
		maxUserChars: 32,
		// MySQL keeps accounts in the mysql.user table.
		observeUserSQL: `SELECT User, Host, max_questions, max_updates, max_connections, max_user_connections,
  account_locked = 'Y'
FROM mysql.user WHERE User = ? AND Host = ?`,
		authSQL: `SELECT User, Host, plugin, authentication_string FROM mysql.user WHERE User = ? AND Host = ?`,
	}
	mariadbEngine = engine{
		label:            "MariaDB",
		databaseComments: true,
		// DELETE HISTORY (system-versioned tables) is MariaDB's own.
		privileges: []string{
			"ALTER", "ALTER ROUTINE", "CREATE", "CREATE ROUTINE", "CREATE TEMPORARY TABLES",
			"CREATE VIEW", "DELETE", "DELETE HISTORY", "DROP", "EVENT", "EXECUTE", "INDEX", "INSERT",
			"LOCK TABLES", "REFERENCES", "SELECT", "SHOW VIEW", "TRIGGER", "UPDATE",
		},
		// 80 before 10.6; older servers refuse longer names themselves
		// rather than shorten them.
		maxUserChars: 128,
		// MariaDB (10.4+) keeps accounts as JSON in mysql.global_priv;
		// mysql.user is a view of it that lacks the lock. JSON_VALUE reads
		// the JSON true of a locked account as 1 (10.11) or true.
		observeUserSQL: `SELECT User, Host,
  CAST(IFNULL(JSON_VALUE(Priv, '$.max_questions'), 0) AS SIGNED),
  CAST(IFNULL(JSON_VALUE(Priv, '$.max_updates'), 0) AS SIGNED),
  CAST(IFNULL(JSON_VALUE(Priv, '$.max_connections'), 0) AS SIGNED),
  CAST(IFNULL(JSON_VALUE(Priv, '$.max_user_connections'), 0) AS SIGNED),
  IFNULL(JSON_VALUE(Priv, '$.account_locked'), '0') IN ('1', 'true')
FROM mysql.global_priv WHERE User = ? AND Host = ?`,
		authSQL: `SELECT User, Host, IFNULL(JSON_VALUE(Priv, '$.plugin'), ''), IFNULL(JSON_VALUE(Priv, '$.authentication_string'), '')
FROM mysql.global_priv WHERE User = ? AND Host = ?`,
	}
)

func engineOf(e dbms.Engine) (engine, error) {
	switch e {
	case dbms.MySQL:
		return mysqlEngine, nil
	case dbms.MariaDB:
		return mariadbEngine, nil
	default:
		return engine{}, errors.Errorf(errUnknownEngine, e)
	}
}
