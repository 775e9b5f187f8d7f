// Package database reconciles Databases: databases on a DatabaseInstance or
// on an existing server, made by the provider's own SQL or by the stored
// procedures of a DatabaseClass.
package database

import (
	"context"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/setup"
	"github.com/dbaas-io/dbaas/internal/controller/sqlowner"
)

const (
	errNoName       = "the Database has no external name"
	errCheckOwner   = "cannot check the owner role"
	errOwnerMissing = "owner role %q does not exist yet"
	errGetClass     = "cannot get DatabaseClass %q"
	errClassEngine  = "DatabaseClass %q is for %s, but the Database's server is a %s server"
)

// Setup adds a controller that reconciles Databases.
func Setup(mgr ctrl.Manager, o options.Options) error {
	return setup.Setup(mgr, o, setup.Config[*v1alpha1.Database]{
		Kind: v1alpha1.DatabaseGroupVersionKind,
		Connector: func(s setup.Shared) managed.TypedExternalConnector[*v1alpha1.Database] {
			return &connector{Connector: s.Server, kube: mgr.GetAPIReader(), bound: s.Bound}
		},
		Instance: func(cr *v1alpha1.Database) string { return cr.Spec.ForProvider.Instance },
	})
}

// A connector connects to the server a Database lives on.
type connector struct {
	server.Connector
	// kube reads DatabaseClasses and connection secrets.
	kube  client.Reader
	bound sqlowner.Bound
}

var _ managed.TypedExternalConnector[*v1alpha1.Database] = &connector{}

// Connect tracks the ProviderConfig usage and connects as the server's
// admin. A Database that names a DatabaseClass is handled by the class's
// procedures; others by the provider's own SQL.
func (c *connector) Connect(ctx context.Context, cr *v1alpha1.Database) (managed.TypedExternalClient[*v1alpha1.Database], error) {
	db, cfg, done, err := sqlowner.Connect(ctx, &c.Connector, c.bound, cr, cr.Spec.ForProvider.Instance, describe)
	if done != nil || err != nil {
		return done, err
	}
	ref := cr.Spec.ForProvider.ClassRef
	if ref == nil {
		e := &external{db: db, engine: cfg.Engine, admin: cfg.User, imports: cfg.ImportAllowed, bound: c.bound}
		return sqlowner.Bounded[*v1alpha1.Database]{TypedExternalClient: e, Bound: c.bound, What: describe}, nil
	}
	class := &v1alpha1.DatabaseClass{}
	if err := c.kube.Get(ctx, types.NamespacedName{Name: ref.Name}, class); err != nil {
		_ = db.Close(ctx)
		return nil, errors.Wrapf(err, errGetClass, ref.Name)
	}
	if !sameEngine(dbms.Engine(class.Spec.Engine), cfg.Engine) {
		_ = db.Close(ctx)
		return nil, errors.Errorf(errClassEngine, class.GetName(), class.Spec.Engine, cfg.Engine)
	}
	e := &classExternal{db: db, class: class, kube: c.kube, server: server.Details(cfg.Host, cfg.Port, cfg.TLS)}
	return sqlowner.Bounded[*v1alpha1.Database]{TypedExternalClient: e, Bound: c.bound, What: describe}, nil
}

// describe names a Database's database for events.
func describe(cr *v1alpha1.Database) string {
	return "database " + strconv.Quote(meta.GetExternalName(cr))
}

// sameEngine treats MySQL and MariaDB as one: their procedures are called
// the same way.
func sameEngine(a, b dbms.Engine) bool {
	mysql := func(e dbms.Engine) bool { return e == dbms.MySQL || e == dbms.MariaDB }
	return a == b || (mysql(a) && mysql(b)) || (a == "" && b == dbms.PostgreSQL)
}

// external maps a Database to a database, named by its external name, that
// the provider makes with its own SQL.
type external struct {
	db dbms.Server
	// engine and admin (the account the provider connects as) decide
	// which names are reserved; imports whether the server allows them.
	engine  dbms.Engine
	admin   string
	imports bool
	bound   sqlowner.Bound
	// adopt is set by Observe when the Database imports its database, so
	// that Update marks it before changing anything.
	adopt bool
	// extensions is what Observe found to do about the database's
	// extensions, for Update to carry out.
	extensions extensionPlan
}

var _ managed.TypedExternalClient[*v1alpha1.Database] = &external{}

func (e *external) Observe(ctx context.Context, cr *v1alpha1.Database) (managed.ExternalObservation, error) {
	name := meta.GetExternalName(cr)
	if name == "" {
		return managed.ExternalObservation{}, errors.New(errNoName)
	}
	reserved := dbms.ReservedDatabase(e.engine, name)
	if reserved != nil && !meta.WasDeleted(cr) {
		return managed.ExternalObservation{}, reserved
	}
	if err := checkEngine(e.engine, cr.Spec.ForProvider.Extensions); err != nil && !meta.WasDeleted(cr) {
		return managed.ExternalObservation{}, err
	}
	o, err := e.db.ObserveDatabase(ctx, name)
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
	observed := v1alpha1.DatabaseObservation{
		Owner:           o.Owner,
		Encoding:        o.Encoding,
		ConnectionLimit: o.ConnectionLimit,
		CharacterSet:    o.CharacterSet,
		Collation:       o.Collation,
	}
	// A database's extensions are read through a connection to it, so
	// only when there are some to create, or were some to drop.
	if !meta.WasDeleted(cr) && (len(cr.Spec.ForProvider.Extensions) > 0 || len(cr.Status.AtProvider.Extensions) > 0) {
		p, found, err := observeExtensions(ctx, e.db, name, cr.Spec.ForProvider.Extensions, ownership.Of(cr).Marker())
		if err != nil {
			return managed.ExternalObservation{}, err
		}
		e.extensions, observed.Extensions = p, found
	}
	cr.Status.AtProvider = observed
	cr.SetConditions(xpv2.Available())
	return managed.ExternalObservation{
		ResourceExists:   true,
		ResourceUpToDate: upToDate(cr.Spec.ForProvider, o) && !e.adopt && e.extensions.done(),
	}, nil
}

// resource is the Database as sqlowner.Decide needs it.
func (e *external) resource(cr *v1alpha1.Database) sqlowner.Resource {
	return sqlowner.Resource{
		Owner:         ownership.Of(cr),
		WantsImport:   ownership.Wants(cr.GetAnnotations()),
		ImportAllowed: e.imports,
		Deleting:      meta.WasDeleted(cr),
	}
}

// upToDate compares what can change; the encoding is fixed at creation.
// Unset settings are the server's to choose.
func upToDate(p v1alpha1.DatabaseParameters, o *dbms.DatabaseObservation) bool {
	switch {
	case p.Owner != nil && *p.Owner != "" && *p.Owner != o.Owner:
		return false
	case p.ConnectionLimit != nil && (o.ConnectionLimit == nil || *p.ConnectionLimit != *o.ConnectionLimit):
		return false
	case p.CharacterSet != "" && !strings.EqualFold(p.CharacterSet, o.CharacterSet):
		return false
	case p.Collation != "" && !strings.EqualFold(p.Collation, o.Collation):
		return false
	}
	return true
}

func (e *external) Create(ctx context.Context, cr *v1alpha1.Database) (managed.ExternalCreation, error) {
	cr.SetConditions(xpv2.Creating())
	p := parameters(cr.Spec.ForProvider)
	// A clear message while the owning User is still being created; the
	// reconciler retries.
	if err := dbms.ReservedDatabase(e.engine, meta.GetExternalName(cr)); err != nil {
		return managed.ExternalCreation{}, err
	}
	if err := e.ownerExists(ctx, cr, p.Owner); err != nil {
		return managed.ExternalCreation{}, err
	}
	p.Marker = ownership.Of(cr).Marker()
	return managed.ExternalCreation{}, e.db.CreateDatabase(ctx, meta.GetExternalName(cr), p)
}

func (e *external) Update(ctx context.Context, cr *v1alpha1.Database) (managed.ExternalUpdate, error) {
	p := parameters(cr.Spec.ForProvider)
	if err := e.ownerExists(ctx, cr, p.Owner); err != nil {
		return managed.ExternalUpdate{}, err
	}
	name := meta.GetExternalName(cr)
	if e.adopt {
		// An import is marked first: from here on the database is this
		// Database's, and no other resource may take it.
		if err := e.db.MarkDatabase(ctx, name, ownership.Of(cr).Marker()); err != nil {
			return managed.ExternalUpdate{}, err
		}
	}
	p.Marker = ownership.Of(cr).Marker()
	if err := e.db.UpdateDatabase(ctx, name, p); err != nil {
		return managed.ExternalUpdate{}, err
	}
	return managed.ExternalUpdate{}, applyExtensions(ctx, e.db, name, e.extensions, p.Marker)
}

// ownerExists checks that the owner role exists and is this namespace's
// (made or imported by one of its Users): a database is never handed to a
// built-in or admin role, nor to another team's.
func (e *external) ownerExists(ctx context.Context, cr *v1alpha1.Database, owner string) error {
	if owner == "" {
		return nil
	}
	if err := dbms.ReservedUser(e.engine, owner, e.admin); err != nil {
		return errors.Wrap(err, errCheckOwner)
	}
	o, err := e.db.ObserveUser(ctx, dbms.UserName{Name: owner})
	if err != nil {
		return errors.Wrap(err, errCheckOwner)
	}
	if o == nil {
		return errors.Errorf(errOwnerMissing, owner)
	}
	return errors.Wrap(sqlowner.OfNamespace("owner role "+strconv.Quote(owner), cr.GetNamespace(), o.Marker), errCheckOwner)
}

func (e *external) Delete(ctx context.Context, cr *v1alpha1.Database) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	return managed.ExternalDelete{}, e.db.DropDatabase(ctx, meta.GetExternalName(cr))
}

func (e *external) Disconnect(ctx context.Context) error {
	return e.db.Close(ctx)
}

func parameters(p v1alpha1.DatabaseParameters) dbms.DatabaseParameters {
	out := dbms.DatabaseParameters{
		Encoding:        p.Encoding,
		ConnectionLimit: p.ConnectionLimit,
		CharacterSet:    p.CharacterSet,
		Collation:       p.Collation,
	}
	if p.Owner != nil {
		out.Owner = *p.Owner
	}
	return out
}
