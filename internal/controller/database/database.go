package database

import (
	"context"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/controller/dependents"
)

const (
	errNoName       = "the Database has no external name"
	errCheckOwner   = "cannot check the owner role"
	errOwnerMissing = "owner role %q does not exist yet"
	errGetClass     = "cannot get DatabaseClass %q"
	errClassEngine  = "DatabaseClass %q is for %s, but the Database's server is a %s server"
)

// A connector connects to the server a Database lives on.
type connector struct {
	server.Connector
	// kube reads DatabaseClasses and connection secrets.
	kube client.Reader
}

// Connect tracks the ProviderConfig usage and connects as the server's
// admin. A Database that names a DatabaseClass is handled by the class's
// procedures; others by the provider's own SQL.
func (c *connector) Connect(ctx context.Context, cr *v1alpha1.Database) (managed.TypedExternalClient[*v1alpha1.Database], error) {
	db, cfg, err := c.Connector.Connect(ctx, cr, cr.Spec.ForProvider.Instance)
	if errors.Is(err, server.ErrGone) {
		return dependents.Gone[*v1alpha1.Database]{}, nil
	}
	if err != nil {
		return nil, err
	}
	ref := cr.Spec.ForProvider.ClassRef
	if ref == nil {
		return &external{db: db}, nil
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
	return &classExternal{db: db, class: class, kube: c.kube}, nil
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
}

func (e *external) Observe(ctx context.Context, cr *v1alpha1.Database) (managed.ExternalObservation, error) {
	name := meta.GetExternalName(cr)
	if name == "" {
		return managed.ExternalObservation{}, errors.New(errNoName)
	}
	o, err := e.db.ObserveDatabase(ctx, name)
	if err != nil {
		return managed.ExternalObservation{}, err
	}
	if o == nil {
		return managed.ExternalObservation{ResourceExists: false}, nil
	}
	cr.Status.AtProvider = v1alpha1.DatabaseObservation{
		Owner:           o.Owner,
		Encoding:        o.Encoding,
		ConnectionLimit: o.ConnectionLimit,
		CharacterSet:    o.CharacterSet,
		Collation:       o.Collation,
	}
	cr.SetConditions(xpv2.Available())
	return managed.ExternalObservation{
		ResourceExists:   true,
		ResourceUpToDate: upToDate(cr.Spec.ForProvider, o),
	}, nil
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
	if err := e.ownerExists(ctx, p.Owner); err != nil {
		return managed.ExternalCreation{}, err
	}
	return managed.ExternalCreation{}, e.db.CreateDatabase(ctx, meta.GetExternalName(cr), p)
}

func (e *external) Update(ctx context.Context, cr *v1alpha1.Database) (managed.ExternalUpdate, error) {
	p := parameters(cr.Spec.ForProvider)
	if err := e.ownerExists(ctx, p.Owner); err != nil {
		return managed.ExternalUpdate{}, err
	}
	return managed.ExternalUpdate{}, e.db.UpdateDatabase(ctx, meta.GetExternalName(cr), p)
}

func (e *external) ownerExists(ctx context.Context, owner string) error {
	if owner == "" {
		return nil
	}
	o, err := e.db.ObserveUser(ctx, dbms.UserName{Name: owner})
	if err != nil {
		return errors.Wrap(err, errCheckOwner)
	}
	if o == nil {
		return errors.Errorf(errOwnerMissing, owner)
	}
	return nil
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
