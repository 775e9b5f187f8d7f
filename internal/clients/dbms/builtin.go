package dbms

import (
	"fmt"
	"strings"
)

// ProviderDatabase is the database the provider keeps its own bookkeeping in
// on engines that cannot carry an ownership marker on an object itself
// (MySQL and MariaDB accounts). No tenant may make, adopt or grant on it:
// whoever could write to it could claim any account.
const ProviderDatabase = "dbaas_provider"

// builtinUsers are the accounts each engine makes for itself, compared
// case-insensitively. They are never managed, whatever a resource asks:
// taking one over would hand a tenant the server.
// On PostgreSQL that includes the roles the provider makes on every
// DatabaseInstance (see package pgroles and the replication user):
// dbaas_admin may make and change roles, so a User of that name would hand
// its holder every non-superuser role of the instance.
var builtinUsers = map[Engine][]string{
	PostgreSQL: {"postgres", "dbaas_admin", "dbaas_replication", "dbaas_rewind", "dbaas_monitor"},
	MySQL:      {"root", "mysql", "mysql.sys", "mysql.session", "mysql.infoschema", "mariadb.sys"},
	MariaDB:    {"root", "mysql", "mariadb.sys", "mysql.sys"},
	SQLServer:  {"sa", "sys", "dbo", "guest", "INFORMATION_SCHEMA"},
}

// builtinDatabases are each engine's own databases, compared
// case-insensitively.
var builtinDatabases = map[Engine][]string{
	PostgreSQL: {"postgres", "template0", "template1"},
	MySQL:      {"mysql", "information_schema", "performance_schema", "sys", ProviderDatabase},
	MariaDB:    {"mysql", "information_schema", "performance_schema", "sys", ProviderDatabase},
	SQLServer:  {"master", "tempdb", "model", "msdb"},
}

// A ReservedError says that a name belongs to the server or its admin and is
// never managed.
type ReservedError struct {
	// What is the object, such as `role "postgres"`.
	What string
	// Why says whose it is.
	Why string
}

func (e *ReservedError) Error() string {
	return fmt.Sprintf("%s is %s, which this provider never manages, creates, changes, grants on or drops: choose another name", e.What, e.Why)
}

// ReservedUser returns a ReservedError when name is one of the engine's
// built-in accounts (for PostgreSQL also any pg_ role) or admin, the account
// the provider connects as; nil otherwise.
func ReservedUser(e Engine, name, admin string) error {
	e = engineOrPostgreSQL(e)
	what := fmt.Sprintf("user %q", name)
	switch {
	case admin != "" && strings.EqualFold(name, admin):
		return &ReservedError{What: what, Why: "the server's admin account"}
	case e == PostgreSQL && strings.HasPrefix(strings.ToLower(name), "pg_"):
		return &ReservedError{What: what, Why: "a PostgreSQL built-in role (pg_*)"}
	}
	for _, b := range builtinUsers[e] {
		if strings.EqualFold(name, b) {
			return &ReservedError{What: what, Why: "a built-in account of the server"}
		}
	}
	return nil
}

// ReservedDatabase returns a ReservedError when name is one of the engine's
// own databases; nil otherwise.
func ReservedDatabase(e Engine, name string) error {
	for _, b := range builtinDatabases[engineOrPostgreSQL(e)] {
		if strings.EqualFold(name, b) {
			return &ReservedError{What: fmt.Sprintf("database %q", name), Why: "a built-in database of the server"}
		}
	}
	// MySQL reads * in GRANT ... ON *.* as every database; the clients
	// quote names, but a name that reads as "everything" is refused anyway.
	if strings.TrimSpace(name) == "*" {
		return &ReservedError{What: fmt.Sprintf("database %q", name), Why: "a wildcard that reaches every database"}
	}
	return nil
}

// engineOrPostgreSQL reads an empty engine as PostgreSQL, the engine of
// DatabaseInstances.
func engineOrPostgreSQL(e Engine) Engine {
	if e == "" {
		return PostgreSQL
	}
	return e
}
