package instance

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql"
)

const (
	errTrackPCUsage = "cannot track ProviderConfig usage"
	errInstance     = "cannot find the PostgreSQL server"
	errConnect      = "cannot connect to the PostgreSQL server"
)

// A Tracker records that a managed resource uses its provider config.
type Tracker interface {
	Track(ctx context.Context, mg resource.ModernManaged) error
}

// A Connector connects the controllers of SQL objects (databases, users)
// to the PostgreSQL server of the DatabaseInstance they live on, as that
// instance's admin.
type Connector struct {
	Kube  client.Reader
	Usage Tracker
	NewDB func(ctx context.Context, cfg postgresql.Config) (postgresql.DB, error)
}

// Connect tracks mg's provider config usage and connects to the server of
// the named instance. It returns ErrGone itself when mg is being deleted and
// the instance no longer exists: the instance took its SQL objects with it,
// so the caller has nothing left to delete.
func (c *Connector) Connect(ctx context.Context, mg resource.ModernManaged, instance string) (postgresql.DB, postgresql.Config, error) {
	if err := c.Usage.Track(ctx, mg); err != nil {
		return nil, postgresql.Config{}, errors.Wrap(err, errTrackPCUsage)
	}
	cfg, err := Config(ctx, c.Kube, mg.GetNamespace(), instance)
	if meta.WasDeleted(mg) && errors.Is(err, ErrGone) {
		return nil, cfg, ErrGone
	}
	if err != nil {
		return nil, cfg, errors.Wrap(err, errInstance)
	}
	db, err := c.NewDB(ctx, cfg)
	if err != nil {
		return nil, cfg, errors.Wrap(err, errConnect)
	}
	return db, cfg, nil
}

// NewConnector returns the Connector a provider's SQL controllers use: it
// reads through the API reader, not the cache, because Secrets should not be
// cached cluster-wide and a just-written instance status must be seen.
func NewConnector(mgr ctrl.Manager) Connector {
	return Connector{
		Kube:  mgr.GetAPIReader(),
		Usage: resource.NewProviderConfigUsageTracker(mgr.GetClient(), &apisv1alpha1.ProviderConfigUsage{}),
		NewDB: func(ctx context.Context, cfg postgresql.Config) (postgresql.DB, error) {
			return postgresql.Connect(ctx, cfg)
		},
	}
}
