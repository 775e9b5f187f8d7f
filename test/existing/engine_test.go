package existing

import (
	"testing"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
)

// An engine is one kind of existing server under test: how to reach it as
// its admin, and how the tests look at it from outside the provider.
type engine struct {
	// name is the ProviderConfig's spec.server.engine.
	name     string
	host     string
	port     int
	admin    string
	password string
	// ca is the PEM CA that signs the server's certificate: the provider
	// reaches the server with verify-full against it.
	ca []byte

	// loadProcedures loads examples/existing-server/<engine>/procedures.sql
	// and the faulty procedures the tests call.
	loadProcedures func(t *testing.T)
	// exec runs statements as the admin.
	exec func(t *testing.T, stmt string)
	// databases lists the server's databases.
	databases func(t *testing.T) []string
	// login tries to log in; it returns nil when the password works.
	login func(t *testing.T, user, password, database string) error
	// connect logs in as an application would, with a connection
	// secret's keys and nothing else, TLS included; it returns nil when
	// the session works.
	connect func(t *testing.T, secret map[string][]byte) error
	// provisioned lists the teams the sample procedures recorded for db.
	provisioned func(t *testing.T, db string) []string
	// forget removes db from the procedures' record, and remember puts it
	// back, as a DBA might.
	forget, remember func(t *testing.T, db, team string)
	// stop and resume take the server away and bring it back.
	stop, resume func() error

	// native sets the engine's own settings on a natively made database.
	native func(p *v1alpha1.DatabaseParameters)
	// user sets the engine's own settings on a user.
	user func(p *v1alpha1.UserParameters)
	// privileges are what a Grant asks for, and how they read back.
	privileges, observed []string
	// createTable makes a table in db, to show a database kept its data.
	createTable func(t *testing.T, db string)
	// hasTable tells whether the table is still there.
	hasTable func(t *testing.T, db string) bool

	// databaseMarker is the ownership marker text a database carries
	// (its comment), for checking imports.
	databaseMarker func(t *testing.T, db string) string
	// databaseOwner is a database's owner role (PostgreSQL; "" elsewhere).
	databaseOwner func(t *testing.T, db string) string
	// grantedOn lists the databases user holds privileges on.
	grantedOn func(t *testing.T, user string) []string
}
