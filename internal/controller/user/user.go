// Package user reconciles Users: logins on a DatabaseInstance or on an
// existing server (PostgreSQL roles, MySQL accounts, SQL Server logins and
// contained users).
package user

import (
	"context"
	"strconv"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/rotation"
	"github.com/dbaas-io/dbaas/internal/controller/setup"
	"github.com/dbaas-io/dbaas/internal/controller/sqlowner"
)

const (
	errNoName     = "the User has no external name"
	errGenerate   = "cannot generate a password"
	errNoDatabase = "database %q does not exist yet"
)

// Connection secret keys of the login; server.Details are the server's.
const (
	keyUsername = "username"
	keyPassword = "password"
	keyDatabase = "database"
)

// accessPrivileges are what a User gets on its database, per engine, so
// that its connection secret works without a Grant. A PostgreSQL role must
// be let in; a SQL Server login gets a user in the database, which is
// access; MySQL accounts get privileges from Grants only.
var accessPrivileges = map[dbms.Engine][]string{
	dbms.PostgreSQL: {"CONNECT", "TEMPORARY"},
}

// defaultDatabases are the connection secret's database when a User names
// none: one every user may connect to by default.
var defaultDatabases = map[dbms.Engine]string{
	dbms.PostgreSQL: "postgres",
	dbms.SQLServer:  "master",
}

// Setup adds a controller that reconciles Users.
func Setup(mgr ctrl.Manager, o options.Options) error {
	return setup.Setup(mgr, o, setup.Config[*v1alpha1.User]{
		Kind: v1alpha1.UserGroupVersionKind,
		Connector: func(s setup.Shared) managed.TypedExternalConnector[*v1alpha1.User] {
			return &connector{Connector: s.Server, kube: mgr.GetAPIReader(), bound: s.Bound}
		},
		Instance: func(cr *v1alpha1.User) string { return cr.Spec.ForProvider.Instance },
	})
}

// A connector connects to the server a User lives on.
type connector struct {
	server.Connector
	kube  client.Reader
	bound sqlowner.Bound
}

var _ managed.TypedExternalConnector[*v1alpha1.User] = &connector{}

// Connect tracks the ProviderConfig usage and connects as the server's
// admin. A User being deleted whose server stays out of reach past the
// delete bound is let go with a Warning event.
func (c *connector) Connect(ctx context.Context, cr *v1alpha1.User) (managed.TypedExternalClient[*v1alpha1.User], error) {
	db, t, done, err := sqlowner.Connect(ctx, &c.Connector, c.bound, cr, cr.Spec.ForProvider.Instance, describe)
	if done != nil || err != nil {
		return done, err
	}
	e := &external{
		db:        db,
		passwords: &passwords{kube: c.kube},
		endpoint:  t.Host,
		port:      t.Port,
		tls:       t.TLS,
		engine:    t.Engine,
		admin:     t.User,
		imports:   t.ImportAllowed,
		bound:     c.bound,
		access:    accessPrivileges[t.Engine],
		defaultDB: defaultDatabases[t.Engine],
	}
	return sqlowner.Bounded[*v1alpha1.User]{TypedExternalClient: e, Bound: c.bound, What: describe}, nil
}

// describe names a User's login for events.
func describe(cr *v1alpha1.User) string {
	return "user " + strconv.Quote(meta.GetExternalName(cr))
}

// external maps a User to a login (a PostgreSQL role, a MySQL account, a SQL
// Server login or contained user) named by its external name.
type external struct {
	db        dbms.Server
	passwords *passwords
	endpoint  string
	port      int
	tls       dbms.TLS
	// access are the privileges the user needs on its database.
	access []string
	// defaultDB is the connection secret's database when the User names
	// none.
	defaultDB string
	// engine and admin (the account the provider connects as) decide
	// which names are reserved; imports whether the server allows them.
	engine  dbms.Engine
	admin   string
	imports bool
	bound   sqlowner.Bound
	// adopt is set by Observe when the User imports its login, so that
	// Update marks it before changing anything.
	adopt bool
}

var _ managed.TypedExternalClient[*v1alpha1.User] = &external{}

func (e *external) Observe(ctx context.Context, cr *v1alpha1.User) (managed.ExternalObservation, error) {
	if meta.GetExternalName(cr) == "" {
		return managed.ExternalObservation{}, errors.New(errNoName)
	}
	reserved := dbms.ReservedUser(e.engine, meta.GetExternalName(cr), e.admin)
	if reserved != nil && !meta.WasDeleted(cr) {
		// Not even looked at: a reserved login is refused whether or not
		// it exists.
		return managed.ExternalObservation{}, reserved
	}
	o, err := e.db.ObserveUser(ctx, userName(cr))
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	if o == nil {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	switch d, err := sqlowner.Decide(e.resource(cr), sqlowner.Found{What: describe(cr), Marker: o.Marker}, reserved); d {
	case sqlowner.Refuse:
		return managed.ExternalObservation{}, err
	case sqlowner.LetGo:
		e.bound.LetGo(cr, err)
		return managed.ExternalObservation{ResourceExists: false}, nil
	case sqlowner.Adopt:
		e.adopt = true
	}
	cr.Status.AtProvider.ConnectionLimit = o.ConnectionLimit
	cr.Status.AtProvider.CanLogin = o.CanLogin
	cr.Status.AtProvider.ResourceLimits = observedLimits(o.Limits)
	cr.SetConditions(xpv2.Available())

	pw, err := e.passwords.known(ctx, cr)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	upToDate, err := e.upToDate(ctx, cr, o, pw)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	upToDate = upToDate && !e.adopt
	return managed.ExternalObservation{
		ResourceExists:    true,
		ResourceUpToDate:  upToDate,
		ConnectionDetails: e.details(cr, pw),
	}, nil
}

func (e *external) upToDate(ctx context.Context, cr *v1alpha1.User, o *dbms.UserObservation, pw string) (bool, error) {
	p := cr.Spec.ForProvider
	switch {
	case !o.CanLogin:
		return false, nil
	case p.ConnectionLimit != nil && (o.ConnectionLimit == nil || *p.ConnectionLimit != *o.ConnectionLimit):
		return false, nil
	case !limitsUpToDate(p.ResourceLimits, o.Limits):
		return false, nil
	case rotation.Pending(cr, p.CredentialRotation, cr.Status.AtProvider.CredentialRotation):
		return false, nil
	}
	if pw == "" {
		// A generated password that was never published (or whose Secret
		// was deleted) is lost: Update makes and publishes a new one. With
		// nowhere to publish it there is nothing to fix.
		return !e.passwords.canKeepGenerated(cr), nil
	}
	ok, err := e.db.CanLogin(ctx, userName(cr), pw)
	if err != nil || !ok {
		return false, err
	}
	return e.hasAccess(ctx, cr)
}

func (e *external) hasAccess(ctx context.Context, cr *v1alpha1.User) (bool, error) {
	db := database(cr)
	if db == "" || len(e.access) == 0 || dbms.ReservedDatabase(e.engine, db) != nil {
		return true, nil //nolint:nilerr // A built-in database is open to every role: nothing to check.
	}
	held, err := e.db.Privileges(ctx, userName(cr), db)
	if err != nil {
		return false, err
	}
	m, _ := dbms.PrivilegeDiff(e.access, held)
	return len(m) == 0, nil
}

func (e *external) Create(ctx context.Context, cr *v1alpha1.User) (managed.ExternalCreation, error) {
	cr.SetConditions(xpv2.Creating())
	pw, err := e.passwords.known(ctx, cr)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	if pw == "" {
		if pw, err = e.passwords.generate(); err != nil {
			return managed.ExternalCreation{}, err
		}
	}
	if err := dbms.ReservedUser(e.engine, meta.GetExternalName(cr), e.admin); err != nil {
		return managed.ExternalCreation{}, err
	}
	p := parameters(cr)
	p.Password = pw
	p.Marker = ownership.Of(cr).Marker()
	if err := e.db.CreateUser(ctx, userName(cr), p); err != nil {
		return managed.ExternalCreation{}, err
	}
	rotation.Created(cr, cr.Spec.ForProvider.CredentialRotation)
	// Access to the database is granted by the next Update: the database may
	// not exist yet, and a failed Create would lose the password it made.
	return managed.ExternalCreation{ConnectionDetails: e.details(cr, pw)}, nil
}

func (e *external) Update(ctx context.Context, cr *v1alpha1.User) (managed.ExternalUpdate, error) {
	u := userName(cr)
	if e.adopt {
		// An import is marked first: from here on the login is this
		// User's, and no other resource may take it.
		if err := e.db.MarkUser(ctx, u, ownership.Of(cr).Marker()); err != nil {
			return managed.ExternalUpdate{}, err
		}
	}
	pw, err := e.passwords.known(ctx, cr)
	if err != nil {
		return managed.ExternalUpdate{}, err
	}
	p := parameters(cr)
	rotate := rotation.Pending(cr, cr.Spec.ForProvider.CredentialRotation, cr.Status.AtProvider.CredentialRotation)
	switch {
	case (pw == "" || rotate) && e.passwords.canKeepGenerated(cr):
		if pw, err = e.passwords.generate(); err != nil {
			return managed.ExternalUpdate{}, err
		}
		p.Password = pw
	case pw != "":
		ok, err := e.db.CanLogin(ctx, u, pw)
		if err != nil {
			return managed.ExternalUpdate{}, err
		}
		if !ok {
			p.Password = pw
		}
	}
	// Access first: if it fails nothing has changed, whereas a new password
	// set before a failure would be on the server but in no secret.
	if err := e.grantAccess(ctx, cr); err != nil {
		return managed.ExternalUpdate{}, err
	}
	if err := e.db.UpdateUser(ctx, u, p); err != nil {
		return managed.ExternalUpdate{}, err
	}
	if rotate {
		cr.Status.AtProvider.CredentialRotation = cr.Spec.ForProvider.CredentialRotation
	}
	return managed.ExternalUpdate{ConnectionDetails: e.details(cr, pw)}, nil
}

func (e *external) grantAccess(ctx context.Context, cr *v1alpha1.User) error {
	db := database(cr)
	// A built-in database (postgres) is open to every role already; the
	// provider grants nothing on it.
	if db == "" || len(e.access) == 0 || dbms.ReservedDatabase(e.engine, db) != nil {
		return nil //nolint:nilerr // A built-in database is open to every role: nothing to grant.
	}
	// Access is granted only on this namespace's own databases.
	o, err := e.db.ObserveDatabase(ctx, db)
	if err != nil {
		return err
	}
	if o == nil {
		return errors.Errorf(errNoDatabase, db)
	}
	if err := sqlowner.OfNamespace("database "+strconv.Quote(db), cr.GetNamespace(), o.Marker); err != nil {
		return err
	}
	held, err := e.db.Privileges(ctx, userName(cr), db)
	if err != nil {
		return err
	}
	if m, _ := dbms.PrivilegeDiff(e.access, held); len(m) > 0 {
		return e.db.Grant(ctx, userName(cr), db, m)
	}
	return nil
}

func (e *external) Delete(ctx context.Context, cr *v1alpha1.User) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	return managed.ExternalDelete{}, e.db.DropUser(ctx, userName(cr), []string{database(cr)})
}

// resource is the User as sqlowner.Decide needs it.
func (e *external) resource(cr *v1alpha1.User) sqlowner.Resource {
	return sqlowner.Resource{
		Owner:         ownership.Of(cr),
		WantsImport:   ownership.Wants(cr.GetAnnotations()),
		ImportAllowed: e.imports,
		Deleting:      meta.WasDeleted(cr),
	}
}

func (e *external) Disconnect(ctx context.Context) error {
	return e.db.Close(ctx)
}

// details are the connection secret's keys. The password is left out while
// it is unknown, so that publishing does not blank a stored one.
func (e *external) details(cr *v1alpha1.User, pw string) managed.ConnectionDetails {
	db := database(cr)
	if db == "" {
		db = e.defaultDB
	}
	d := server.Details(e.endpoint, e.port, e.tls)
	d[keyUsername] = []byte(meta.GetExternalName(cr))
	if db != "" {
		d[keyDatabase] = []byte(db)
	}
	if pw != "" {
		d[keyPassword] = []byte(pw)
	}
	return d
}

func database(cr *v1alpha1.User) string {
	if cr.Spec.ForProvider.Database == nil {
		return ""
	}
	return *cr.Spec.ForProvider.Database
}

// userName identifies the user on its server: MySQL accounts by host too, SQL
// Server users by their database.
func userName(cr *v1alpha1.User) dbms.UserName {
	u := dbms.UserName{Name: meta.GetExternalName(cr), Database: database(cr)}
	if h := cr.Spec.ForProvider.Host; h != nil {
		u.Host = *h
	}
	return u
}

func parameters(cr *v1alpha1.User) dbms.UserParameters {
	p := cr.Spec.ForProvider
	out := dbms.UserParameters{ConnectionLimit: p.ConnectionLimit, Contained: p.Contained != nil && *p.Contained}
	if l := p.ResourceLimits; l != nil {
		out.Limits = dbms.ResourceLimits{
			MaxQueriesPerHour:     l.MaxQueriesPerHour,
			MaxUpdatesPerHour:     l.MaxUpdatesPerHour,
			MaxConnectionsPerHour: l.MaxConnectionsPerHour,
			MaxUserConnections:    l.MaxUserConnections,
		}
	}
	return out
}

// limitsUpToDate compares the limits that are set; unset ones are left alone.
func limitsUpToDate(want *v1alpha1.ResourceLimits, got dbms.ResourceLimits) bool {
	if want == nil {
		return true
	}
	same := func(w, g *int32) bool { return w == nil || (g != nil && *w == *g) }
	return same(want.MaxQueriesPerHour, got.MaxQueriesPerHour) &&
		same(want.MaxUpdatesPerHour, got.MaxUpdatesPerHour) &&
		same(want.MaxConnectionsPerHour, got.MaxConnectionsPerHour) &&
		same(want.MaxUserConnections, got.MaxUserConnections)
}

func observedLimits(l dbms.ResourceLimits) *v1alpha1.ResourceLimits {
	if l == (dbms.ResourceLimits{}) {
		return nil
	}
	return &v1alpha1.ResourceLimits{
		MaxQueriesPerHour:     l.MaxQueriesPerHour,
		MaxUpdatesPerHour:     l.MaxUpdatesPerHour,
		MaxConnectionsPerHour: l.MaxConnectionsPerHour,
		MaxUserConnections:    l.MaxUserConnections,
	}
}
