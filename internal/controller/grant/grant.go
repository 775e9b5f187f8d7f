// Package grant reconciles Grants: the privileges a user holds on a
// database, on a DatabaseInstance or on an existing server.
package grant

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/setup"
	"github.com/dbaas-io/dbaas/internal/controller/sqlowner"
)

const (
	errNoUser         = "the Grant names no user: set user, userRef or userSelector"
	errNoDatabase     = "the Grant names no database: set database, databaseRef or databaseSelector"
	errNoSuchUser     = "user %q does not exist yet"
	errNoSuchDatabase = "database %q does not exist yet"
)

// Setup adds a controller that reconciles Grants.
func Setup(mgr ctrl.Manager, o options.Options) error {
	return setup.Setup(mgr, o, setup.Config[*v1alpha1.Grant]{
		Kind: v1alpha1.GrantGroupVersionKind,
		Connector: func(s setup.Shared) managed.TypedExternalConnector[*v1alpha1.Grant] {
			return &connector{Connector: s.Server, bound: s.Bound}
		},
		Instance: func(cr *v1alpha1.Grant) string { return cr.Spec.ForProvider.Instance },
	})
}

// A connector connects to the server a Grant's user lives on.
type connector struct {
	server.Connector
	bound sqlowner.Bound
}

var _ managed.TypedExternalConnector[*v1alpha1.Grant] = &connector{}

// Connect tracks the ProviderConfig usage and connects as the server's admin.
func (c *connector) Connect(ctx context.Context, cr *v1alpha1.Grant) (managed.TypedExternalClient[*v1alpha1.Grant], error) {
	db, t, done, err := sqlowner.Connect(ctx, &c.Connector, c.bound, cr, cr.Spec.ForProvider.Instance, describe)
	if done != nil || err != nil {
		return done, err
	}
	e := &external{db: db, engine: t.Engine, admin: t.User, bound: c.bound}
	return sqlowner.Bounded[*v1alpha1.Grant]{TypedExternalClient: e, Bound: c.bound, What: describe}, nil
}

// describe names a Grant's privileges for events.
func describe(cr *v1alpha1.Grant) string {
	u, db := "", ""
	if p := cr.Spec.ForProvider.User; p != nil {
		u = *p
	}
	if p := cr.Spec.ForProvider.Database; p != nil {
		db = *p
	}
	return fmt.Sprintf("the privileges of user %q on database %q", u, db)
}

// external maps a Grant to the privileges a user holds on a database.
//
// A Grant manages only the privileges it asks for, and those it asked for
// before (status.atProvider.privileges), never others the user holds: a
// PostgreSQL User keeps CONNECT on its own database whatever Grants come and
// go. The grant exists while the user holds any privilege it manages, and is
// up to date when those are exactly the ones it asks for.
type external struct {
	db dbms.Server
	// engine and admin (the account the provider connects as) decide
	// which names are reserved.
	engine dbms.Engine
	admin  string
	bound  sqlowner.Bound
}

var _ managed.TypedExternalClient[*v1alpha1.Grant] = &external{}

func (e *external) Observe(ctx context.Context, cr *v1alpha1.Grant) (managed.ExternalObservation, error) {
	u, db, err := target(cr)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	switch ok, err := e.ours(ctx, cr, u, db); {
	case err != nil && meta.WasDeleted(cr):
		// Revoking on what is not this namespace's is not this Grant's
		// to do; it never granted there.
		e.bound.LetGo(cr, err)
		return managed.ExternalObservation{ResourceExists: false}, nil
	case err != nil:
		return managed.ExternalObservation{}, err
	case !ok:
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	want, err := e.wanted(cr)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	held, err := e.db.Privileges(ctx, u, db)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	mine := intersect(held, union(want, cr.Status.AtProvider.Privileges))
	cr.Status.AtProvider.Privileges = mine
	if len(mine) == 0 {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	cr.SetConditions(xpv2.Available())
	add, remove := dbms.PrivilegeDiff(want, mine)
	return managed.ExternalObservation{ResourceExists: true, ResourceUpToDate: len(add) == 0 && len(remove) == 0}, nil
}

// wanted normalises the asked-for privileges the way the server reports
// them (ALL as the engine's full list), refusing any the engine lacks.
func (e *external) wanted(cr *v1alpha1.Grant) ([]string, error) {
	return e.db.NormalizePrivileges(cr.Spec.ForProvider.Privileges)
}

func (e *external) Create(ctx context.Context, cr *v1alpha1.Grant) (managed.ExternalCreation, error) {
	cr.SetConditions(xpv2.Creating())
	u, db, err := target(cr)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	// Observe found nothing to check when either was missing; check now,
	// and say which is missing.
	ok, err := e.ours(ctx, cr, u, db)
	if err != nil {
		return managed.ExternalCreation{}, err
	}
	if err := e.userExists(ctx, u); err != nil {
		return managed.ExternalCreation{}, err
	}
	if !ok {
		return managed.ExternalCreation{}, errors.Errorf(errNoSuchDatabase, db)
	}
	return managed.ExternalCreation{}, e.db.Grant(ctx, u, db, cr.Spec.ForProvider.Privileges)
}

// Update grants what is asked for and is missing, then revokes what this
// Grant asked for before and no longer does (Observe left those in status).
func (e *external) Update(ctx context.Context, cr *v1alpha1.Grant) (managed.ExternalUpdate, error) {
	u, db, err := target(cr)
	if err != nil {
		return managed.ExternalUpdate{}, err
	}
	want, err := e.wanted(cr)
	if err != nil {
		return managed.ExternalUpdate{}, err
	}
	add, remove := dbms.PrivilegeDiff(want, cr.Status.AtProvider.Privileges)
	if len(add) > 0 {
		if err := e.db.Grant(ctx, u, db, add); err != nil {
			return managed.ExternalUpdate{}, err
		}
	}
	if len(remove) > 0 {
		if err := e.db.Revoke(ctx, u, db, remove); err != nil {
			return managed.ExternalUpdate{}, err
		}
	}
	cr.Status.AtProvider.Privileges = want
	return managed.ExternalUpdate{}, nil
}

// Delete revokes the privileges this Grant manages that the user holds;
// others stay.
func (e *external) Delete(ctx context.Context, cr *v1alpha1.Grant) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	u, db, err := target(cr)
	if err != nil {
		return managed.ExternalDelete{}, err
	}
	held, err := e.db.Privileges(ctx, u, db)
	if err != nil {
		return managed.ExternalDelete{}, err
	}
	want, err := e.wanted(cr)
	if err != nil {
		return managed.ExternalDelete{}, err
	}
	mine := intersect(held, union(want, cr.Status.AtProvider.Privileges))
	if len(mine) == 0 {
		return managed.ExternalDelete{}, nil
	}
	return managed.ExternalDelete{}, e.db.Revoke(ctx, u, db, mine)
}

// ours checks that a Grant names a database and a user of its own
// namespace (made by its resources, or imported), and neither a built-in
// nor the admin. ok is false when either does not exist yet, so there is
// nothing granted to observe.
func (e *external) ours(ctx context.Context, cr *v1alpha1.Grant, u dbms.UserName, db string) (ok bool, err error) {
	if err := dbms.ReservedDatabase(e.engine, db); err != nil {
		return false, err
	}
	if err := dbms.ReservedUser(e.engine, u.Name, e.admin); err != nil {
		return false, err
	}
	d, err := e.db.ObserveDatabase(ctx, db)
	if err != nil || d == nil {
		return false, err
	}
	if err := sqlowner.OfNamespace("database "+strconv.Quote(db), cr.GetNamespace(), d.Marker); err != nil {
		return false, err
	}
	o, err := e.db.ObserveUser(ctx, u)
	if err != nil || o == nil {
		return false, err
	}
	return true, sqlowner.OfNamespace("user "+strconv.Quote(u.Name), cr.GetNamespace(), o.Marker)
}

func (e *external) Disconnect(ctx context.Context) error {
	return e.db.Close(ctx)
}

func (e *external) userExists(ctx context.Context, u dbms.UserName) error {
	o, err := e.db.ObserveUser(ctx, u)
	if err != nil {
		return err
	}
	if o == nil {
		return errors.Errorf(errNoSuchUser, u.Name)
	}
	return nil
}

// target is the user and database a Grant is about.
func target(cr *v1alpha1.Grant) (dbms.UserName, string, error) {
	p := cr.Spec.ForProvider
	if p.User == nil || *p.User == "" {
		return dbms.UserName{}, "", errors.New(errNoUser)
	}
	if p.Database == nil || *p.Database == "" {
		return dbms.UserName{}, "", errors.New(errNoDatabase)
	}
	u := dbms.UserName{Name: *p.User, Database: *p.Database}
	if p.Host != nil {
		u.Host = *p.Host
	}
	return u, *p.Database, nil
}

// intersect returns the members of a that are in b, in a's order.
func intersect(a, b []string) []string {
	in := set(b)
	var out []string
	for _, v := range a {
		if in[v] {
			out = append(out, v)
		}
	}
	return out
}

// union returns a and the members of b not in a, sorted.
func union(a, b []string) []string {
	out := slices.Clone(a)
	in := set(a)
	for _, v := range b {
		if !in[v] {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

func set(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, v := range s {
		m[v] = true
	}
	return m
}
