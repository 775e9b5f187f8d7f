// Package dbms is what the SQL controllers need from a database server,
// whichever engine runs it. Each engine's client (postgresql, mysql, mssql)
// implements Server; the controllers see only this package, so that one set
// of kinds (Database, User, Grant) works on every engine.
//
// Every client keeps the same promise: identifiers are quoted by the engine's
// own rules and checked to be stored as given, and values (passwords,
// procedure inputs) are bound as parameters, never written into SQL text.
package dbms

import (
	"context"
)

// Engine names a database engine.
type Engine string

// Engines a Server can speak to.
const (
	PostgreSQL Engine = "postgresql"
	MySQL      Engine = "mysql"
	MariaDB    Engine = "mariadb"
	SQLServer  Engine = "sqlserver"
)

// DatabaseParameters are the desired properties of a database. A field an
// engine has no use for must be left empty; a client refuses one it cannot
// honour with an error that says which engine it belongs to.
type DatabaseParameters struct {
	// Owner role (PostgreSQL); empty means the admin at creation and no
	// change afterwards.
	Owner string
	// Encoding (PostgreSQL), set at creation only; empty means the server's
	// default.
	Encoding string
	// ConnectionLimit (PostgreSQL); nil means the server's default at
	// creation and no change afterwards.
	ConnectionLimit *int32
	// CharacterSet (MySQL/MariaDB); empty means the server's default at
	// creation and no change afterwards.
	CharacterSet string
	// Collation (MySQL/MariaDB, SQL Server); empty means the server's
	// default at creation and no change afterwards.
	Collation string
	// Marker (ownership.Owner.Marker) is written with the database at
	// creation, so that a database the provider made says who made it.
	Marker string
}

// DatabaseObservation is the observed state of a database. Fields the
// engine does not have are empty.
type DatabaseObservation struct {
	Owner           string
	Encoding        string
	ConnectionLimit *int32
	CharacterSet    string
	Collation       string
	// Marker is the ownership marker the database carries; empty when it
	// has none.
	Marker string
}

// A UserName identifies a user. MySQL/MariaDB accounts are name@host; the
// other engines leave Host empty. A contained SQL Server user lives in
// Database; a login-backed one has a login and a user of the same name in
// Database (when it is set).
type UserName struct {
	Name     string
	Host     string
	Database string
}

// ResourceLimits are MySQL/MariaDB per-account limits; nil leaves a limit
// alone and 0 means unlimited.
type ResourceLimits struct {
	MaxQueriesPerHour     *int32
	MaxUpdatesPerHour     *int32
	MaxConnectionsPerHour *int32
	MaxUserConnections    *int32
}

// UserParameters are the desired properties of a user.
type UserParameters struct {
	// Password to set; empty leaves the current one alone (Update only).
	Password string
	// ConnectionLimit (PostgreSQL); nil leaves it alone, -1 is unlimited.
	ConnectionLimit *int32
	// Limits (MySQL/MariaDB).
	Limits ResourceLimits
	// Contained makes a SQL Server user with a password in its database
	// and no login. The database must allow contained users.
	Contained bool
	// Marker (ownership.Owner.Marker) is written with the user at creation
	// (CreateUser only).
	Marker string
}

// UserObservation is the observed state of a user.
type UserObservation struct {
	CanLogin        bool
	ConnectionLimit *int32
	Limits          ResourceLimits
	Contained       bool
	// Marker is the ownership marker the user carries; empty when it has
	// none.
	Marker string
}

// A Call runs an administrator-owned stored procedure. Args are bound as
// parameters: by name when Name is set (SQL Server needs names; PostgreSQL
// accepts them), by position otherwise (MySQL/MariaDB takes positions only).
type Call struct {
	// Procedure is the routine's name, optionally schema-qualified
	// ("dba.create_database"). Each part is quoted as an identifier.
	Procedure string
	Args      []Arg
}

// An Arg is one bound input of a Call.
type Arg struct {
	Name  string
	Value string
}

// A Result is what a procedure returned: the columns of its (last) result
// set and its rows, NULLs as nil.
type Result struct {
	Columns []string
	Rows    [][]*string
}

// A Server is one database server, reached as an account that may create
// databases and users.
type Server interface {
	// ObserveDatabase returns nil when the database does not exist.
	ObserveDatabase(ctx context.Context, name string) (*DatabaseObservation, error)
	CreateDatabase(ctx context.Context, name string, p DatabaseParameters) error
	UpdateDatabase(ctx context.Context, name string, p DatabaseParameters) error
	DropDatabase(ctx context.Context, name string) error
	// MarkDatabase writes marker on an existing database, replacing any
	// other, when a resource imports it.
	MarkDatabase(ctx context.Context, name, marker string) error

	// ObserveUser returns nil when the user does not exist.
	ObserveUser(ctx context.Context, u UserName) (*UserObservation, error)
	CreateUser(ctx context.Context, u UserName, p UserParameters) error
	UpdateUser(ctx context.Context, u UserName, p UserParameters) error
	// CanLogin says whether u can log in with password (to u.Database
	// when it is set).
	CanLogin(ctx context.Context, u UserName, password string) (bool, error)
	// DropUser drops the user. Objects it owns in the databases alsoIn are
	// dropped with it, where the engine ties objects to users.
	DropUser(ctx context.Context, u UserName, alsoIn []string) error
	// MarkUser writes marker on an existing user, replacing any other,
	// when a resource imports it.
	MarkUser(ctx context.Context, u UserName, marker string) error

	// Privileges returns the privileges u holds on database, upper-case
	// and sorted; ALL is expanded to the engine's list.
	Privileges(ctx context.Context, u UserName, database string) ([]string, error)
	// NormalizePrivileges returns privileges as Privileges reports them
	// (upper-case, sorted, ALL expanded), or an error that lists the
	// accepted names when one is not the engine's.
	NormalizePrivileges(privileges []string) ([]string, error)
	// Grant and Revoke give and take privileges on database.
	Grant(ctx context.Context, u UserName, database string, privileges []string) error
	Revoke(ctx context.Context, u UserName, database string, privileges []string) error

	// CallProcedure runs c and returns its result.
	CallProcedure(ctx context.Context, c Call) (*Result, error)

	Close(ctx context.Context) error
}
