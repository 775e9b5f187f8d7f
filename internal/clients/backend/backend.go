// Package backend picks the machine backend a provider config names and
// hands it the credentials the config points at.
package backend

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

const (
	errCredentials = "cannot read the %s backend's credentials"
	errNoBlock     = "provider config backend %s needs its spec.%s block"
	errUnknown     = "provider config names backend %q, which this provider does not know"
)

// Options are how the provider reaches its backends beyond what a provider
// config says.
type Options struct {
	// LocalDir is the local backend's directory when a provider config
	// names none.
	LocalDir string

	// Wrap, when set, wraps every backend handed out. Tests use it to cut a
	// create short the way a crash of the provider would.
	Wrap func(machine.Backend) machine.Backend
}

// Connect returns the backend the provider config names.
func Connect(ctx context.Context, kube client.Client, pc *apisv1alpha1.ProviderConfigSpec, o Options) (machine.Backend, error) {
	b, err := connect(ctx, kube, pc, o)
	if err != nil {
		return nil, err
	}
	if o.Wrap != nil {
		b = o.Wrap(b)
	}
	return b, nil
}

func connect(_ context.Context, _ client.Client, pc *apisv1alpha1.ProviderConfigSpec, o Options) (machine.Backend, error) {
	switch pc.Backend {
	case apisv1alpha1.BackendLocal, "":
		b, err := local.FromConfig(pc, o.LocalDir)
		if err != nil {
			return nil, err
		}
		return NewLocal(b), nil
	default:
		return nil, errors.Errorf(errUnknown, pc.Backend)
	}
}

// credentials reads the secret, environment variable or file the provider
// config's credentials name; nil when their source is None.
func credentials(ctx context.Context, kube client.Client, pc *apisv1alpha1.ProviderConfigSpec) ([]byte, error) {
	c := pc.Credentials
	if c == nil || c.Source == xpv2.CredentialsSourceNone || c.Source == "" {
		return nil, nil
	}
	data, err := resource.CommonCredentialExtractor(ctx, c.Source, kube, c.CommonCredentialSelectors)
	return data, errors.Wrapf(err, errCredentials, pc.Backend)
}
