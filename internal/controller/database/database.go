package database

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql/instance"
	"github.com/dbaas-io/dbaas/internal/controller/dependents"
)

const (
	errNoName       = "the Database has no external name"
	errCheckOwner   = "cannot check the owner role"
	errOwnerMissing = "owner role %q does not exist yet"
)

// A connector connects to the server of a Database's DatabaseInstance.
type connector struct {
	instance.Connector
}

// Connect tracks the ProviderConfig usage and connects as the instance's admin.
func (c *connector) Connect(ctx context.Context, cr *v1alpha1.Database) (managed.TypedExternalClient[*v1alpha1.Database], error) {
	db, _, err := c.Connector.Connect(ctx, cr, cr.Spec.ForProvider.Instance)
	if errors.Is(err, instance.ErrGone) {
		return dependents.Gone[*v1alpha1.Database]{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &external{db: db}, nil
}

// external maps a Database to a PostgreSQL database named by its external
// name.
type external struct {
	db postgresql.DB
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
		ConnectionLimit: &o.ConnectionLimit,
	}
	cr.SetConditions(xpv2.Available())
	return managed.ExternalObservation{
		ResourceExists:   true,
		ResourceUpToDate: upToDate(cr.Spec.ForProvider, o),
	}, nil
}

// upToDate compares what can change; the encoding is fixed at creation.
func upToDate(p v1alpha1.DatabaseParameters, o *postgresql.DatabaseObservation) bool {
	if p.Owner != nil && *p.Owner != "" && *p.Owner != o.Owner {
		return false
	}
	if p.ConnectionLimit != nil && *p.ConnectionLimit != o.ConnectionLimit {
		return false
	}
	return true
}

func (e *external) Create(ctx context.Context, cr *v1alpha1.Database) (managed.ExternalCreation, error) {
	cr.SetConditions(xpv2.Creating())
	p := parameters(cr.Spec.ForProvider)
	// A clear message while the owning User is still being created; the
	// reconciler retries.
	if p.Owner != "" {
		ok, err := e.db.RoleExists(ctx, p.Owner)
		if err != nil {
			return managed.ExternalCreation{}, errors.Wrap(err, errCheckOwner)
		}
		if !ok {
			return managed.ExternalCreation{}, errors.Errorf(errOwnerMissing, p.Owner)
		}
	}
	return managed.ExternalCreation{}, e.db.CreateDatabase(ctx, meta.GetExternalName(cr), p)
}

func (e *external) Update(ctx context.Context, cr *v1alpha1.Database) (managed.ExternalUpdate, error) {
	p := parameters(cr.Spec.ForProvider)
	if p.Owner != "" {
		ok, err := e.db.RoleExists(ctx, p.Owner)
		if err != nil {
			return managed.ExternalUpdate{}, errors.Wrap(err, errCheckOwner)
		}
		if !ok {
			return managed.ExternalUpdate{}, errors.Errorf(errOwnerMissing, p.Owner)
		}
	}
	return managed.ExternalUpdate{}, e.db.UpdateDatabase(ctx, meta.GetExternalName(cr), p)
}

func (e *external) Delete(ctx context.Context, cr *v1alpha1.Database) (managed.ExternalDelete, error) {
	cr.SetConditions(xpv2.Deleting())
	return managed.ExternalDelete{}, e.db.DropDatabase(ctx, meta.GetExternalName(cr))
}

func (e *external) Disconnect(ctx context.Context) error {
	return e.db.Close(ctx)
}

func parameters(p v1alpha1.DatabaseParameters) postgresql.DatabaseParameters {
	out := postgresql.DatabaseParameters{Encoding: p.Encoding, ConnectionLimit: p.ConnectionLimit}
	if p.Owner != nil {
		out.Owner = *p.Owner
	}
	return out
}
