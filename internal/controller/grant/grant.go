package grant

import (
	"context"
	"slices"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/controller/dependents"
)

const (
	errNoUser     = "the Grant names no user: set user, userRef or userSelector"
	errNoDatabase = "the Grant names no database: set database, databaseRef or databaseSelector"
	errNoSuchUser = "user %q does not exist yet"
)

// A connector connects to the server a Grant's user lives on.
type connector struct {
	server.Connector
}

// Connect tracks the ProviderConfig usage and connects as the server's admin.
func (c *connector) Connect(ctx context.Context, cr *v1alpha1.Grant) (managed.TypedExternalClient[*v1alpha1.Grant], error) {
	db, _, err := c.Connector.Connect(ctx, cr, cr.Spec.ForProvider.Instance)
	if errors.Is(err, server.ErrGone) {
		return dependents.Gone[*v1alpha1.Grant]{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &external{db: db}, nil
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
}

func (e *external) Observe(ctx context.Context, cr *v1alpha1.Grant) (managed.ExternalObservation, error) {
	u, db, err := target(cr)
	if err != nil {
		return managed.ExternalObservation{}, err
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
	if err := e.userExists(ctx, u); err != nil {
		return managed.ExternalCreation{}, err
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
