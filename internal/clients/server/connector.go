// Package server connects the controllers of SQL objects (databases, users,
// grants) to the server each object lives on: the PostgreSQL server of a
// DatabaseInstance the object names, or else the existing server of its
// provider config. Every engine is reached through dbms.Server.
package server

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql/instance"
	"github.com/dbaas-io/dbaas/internal/clients/providerconfig"
)

const (
	errTrackPCUsage = "cannot track ProviderConfig usage"
	errInstance     = "cannot find the PostgreSQL server"
	errProvider     = "cannot find the server"
	errNoServer     = "forProvider.instance is empty and the provider config %q has no spec.server: name a DatabaseInstance, or use a provider config that points at an existing server"
	errServerConfig = "cannot read the settings of %s"
	errConnect      = "cannot connect to %s"
)

// ErrGone is returned when the object is being deleted and the
// DatabaseInstance it lived on no longer exists.
var ErrGone = instance.ErrGone

// A Tracker records that a managed resource uses its provider config.
type Tracker interface {
	Track(ctx context.Context, mg resource.ModernManaged) error
}

// A Connector connects to the server a SQL object lives on, as its admin.
type Connector struct {
	Kube     client.Reader
	Usage    Tracker
	Open     func(ctx context.Context, cfg dbms.Config) (dbms.Server, error)
	Limiters *Limiters

	// Policy is what namespaced ProviderConfigs may reach.
	Policy providerconfig.Policy

	// Configs reads provider configs, the object's own and the
	// ClusterProviderConfigs that set servers' limits, on every connect:
	// the manager's cache, so that this costs the API server nothing.
	// Kube when nil.
	Configs client.Reader
}

// A Target is the server a SQL object lives on, as Connect found it.
type Target struct {
	dbms.Config
	// ImportAllowed says whether objects on this server may be adopted
	// through the dbaas.io/import annotation: true for the namespace's own
	// DatabaseInstance and for a ClusterProviderConfig's server, which the
	// platform team chose; false for a namespaced ProviderConfig's, which
	// any team can point at a shared server.
	ImportAllowed bool
}

// A Managed SQL object.
type Managed interface {
	resource.ModernManaged
	providerconfig.Referencer
}

// Connect tracks mg's provider config usage and connects to its server: the
// named DatabaseInstance's when instanceName is set, the provider config's
// existing server otherwise. It returns ErrGone when mg is being deleted and
// its instance no longer exists: the instance took its SQL objects with it,
// so the caller has nothing left to delete. Every error names the server.
func (c *Connector) Connect(ctx context.Context, mg Managed, instanceName string) (dbms.Server, Target, error) {
	if err := c.Usage.Track(ctx, mg); err != nil {
		return nil, Target{}, errors.Wrap(err, errTrackPCUsage)
	}
	cfg, limit, err := c.target(ctx, mg, instanceName)
	t := Target{Config: cfg, ImportAllowed: importAllowed(mg, instanceName)}
	if err != nil {
		return nil, t, err
	}
	// A reconcile that Turns let through has taken its server's turn.
	if !hadTurn(ctx) {
		if err := c.Limiters.Wait(ctx, cfg.String(), limit); err != nil {
			return nil, t, err
		}
	}
	s, err := c.Open(ctx, cfg)
	if err != nil {
		return nil, t, errors.Wrapf(err, errConnect, cfg)
	}
	return instrument(s, cfg), t, nil
}

// importAllowed: the namespace's own instance, or a ClusterProviderConfig.
func importAllowed(mg Managed, instanceName string) bool {
	if instanceName != "" {
		return true
	}
	ref := mg.GetProviderConfigReference()
	return ref != nil && ref.Kind == apisv1alpha1.ClusterProviderConfigKind
}

// target finds how to reach mg's server, and how often it may be reached
// (no limit for instances: they are the provider's own).
func (c *Connector) target(ctx context.Context, mg Managed, instanceName string) (dbms.Config, Limit, error) {
	if instanceName != "" {
		cfg, err := instance.Config(ctx, c.Kube, mg.GetNamespace(), instanceName)
		cfg.Engine = dbms.PostgreSQL
		if meta.WasDeleted(mg) && errors.Is(err, instance.ErrGone) {
			return cfg, Limit{}, ErrGone
		}
		return cfg, Limit{}, errors.Wrap(err, errInstance)
	}
	spec, err := c.resolve(ctx, mg)
	if err != nil {
		return dbms.Config{}, Limit{}, err
	}
	cfg, err := Config(ctx, c.Kube, spec.Server)
	if err != nil {
		return cfg, Limit{}, errors.Wrapf(err, errServerConfig, cfg)
	}
	limit, p, err := c.limitOf(ctx, mg, spec.Server)
	if err != nil {
		return cfg, Limit{}, err
	}
	cfg.MaxConns = poolSize(spec.Server.MaxConnections, p.MaxConnections)
	return cfg, limit, nil
}

// resolve returns the spec of mg's provider config, which must name an
// existing server.
func (c *Connector) resolve(ctx context.Context, mg Managed) (*apisv1alpha1.ProviderConfigSpec, error) {
	spec, err := providerconfig.Resolve(ctx, c.configs(), mg, c.Policy)
	if err != nil {
		return nil, errors.Wrap(err, errProvider)
	}
	if spec.Server == nil {
		return nil, errors.Errorf(errNoServer, mg.GetProviderConfigReference().Name)
	}
	return spec, nil
}

// limitOf is how often mg may reach s, its provider config's server, and
// what the platform set for s. It reads provider configs only, no Secret.
func (c *Connector) limitOf(ctx context.Context, mg Managed, s *apisv1alpha1.ExistingServer) (Limit, platform, error) {
	limit := Limit{PerSecond: int(s.MaxOperationsPerSecond)}
	if mg.GetProviderConfigReference().Kind == apisv1alpha1.ProviderConfigKind {
		limit.Namespace = mg.GetNamespace()
	}
	p, err := platformLimit(ctx, c.configs(), serverOf(s))
	if err != nil {
		return Limit{}, platform{}, err
	}
	limit.Server = p.PerSecond
	return limit, p, nil
}

// configs reads provider configs: the cache when there is one.
func (c *Connector) configs() client.Reader {
	if c.Configs != nil {
		return c.Configs
	}
	return c.Kube
}

// NewConnector returns the Connector a provider's SQL controllers use. It
// reads through the API reader, not the cache, because Secrets should not be
// cached cluster-wide and a just-written instance status must be seen; only
// provider configs, read on every connect, come from the cache, which the
// provider config controller keeps anyway: two GETs fewer per Database to
// Ready.
// Every controller of a provider shares limiters and pools, so pass the
// same ones; nil pools open a connection per reconcile.
func NewConnector(mgr ctrl.Manager, l *Limiters, pools *Pools, p providerconfig.Policy) Connector {
	open := Open
	if pools != nil {
		open = pools.Open
	}
	return Connector{
		Policy:   p,
		Kube:     mgr.GetAPIReader(),
		Configs:  mgr.GetClient(),
		Usage:    resource.NewProviderConfigUsageTracker(mgr.GetClient(), &apisv1alpha1.ProviderConfigUsage{}),
		Open:     open,
		Limiters: l,
	}
}
