package machineowner

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/backend"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/providerconfig"
	"github.com/dbaas-io/dbaas/internal/clients/safepath"
	"github.com/dbaas-io/dbaas/internal/controller/deletion"
)

const (
	errTrackUsage   = "cannot track ProviderConfig usage"
	errExternalName = "the crossplane.io/external-name annotation cannot name a %s"
	errResolvePC    = "cannot resolve provider config"
	errBackend      = "cannot set up the machine backend"
)

// A Connector holds what connecting a machine kind to its backend needs.
type Connector struct {
	Kube     client.Client
	Usage    *resource.ProviderConfigUsageTracker
	Backends backend.Options
}

// Connect tracks mg's use of its provider config and connects to that
// config's machine backend, as VirtualMachines and FirewallRules do. The
// external name becomes a directory, an inventory path, a file or a rule
// name in a backend, so it must be one plain name. One that is not never
// named anything: a resource being deleted with one gets done, the
// external client that lets it go, and no backend.
func Connect[T resource.ModernManaged](ctx context.Context, c Connector, n Noun, mg T) (b machine.Backend, pc *apisv1alpha1.ProviderConfigSpec, done managed.TypedExternalClient[T], err error) {
	if err := c.Usage.Track(ctx, mg); err != nil {
		return nil, nil, nil, errors.Wrap(err, errTrackUsage)
	}
	if err := safepath.Segment(meta.GetExternalName(mg)); err != nil {
		if meta.WasDeleted(mg) {
			return nil, nil, deletion.Nothing[T]{Reason: err.Error()}, nil
		}
		return nil, nil, nil, errors.Wrapf(err, errExternalName, string(n))
	}
	if pc, err = providerconfig.Resolve(ctx, c.Kube, mg, c.Backends.Policy); err != nil {
		return nil, nil, nil, errors.Wrap(err, errResolvePC)
	}
	if b, err = backend.Connect(ctx, c.Kube, pc, c.Backends); err != nil {
		return nil, nil, nil, errors.Wrap(err, errBackend)
	}
	return b, pc, nil, nil
}
