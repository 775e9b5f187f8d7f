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
	"github.com/dbaas-io/dbaas/internal/clients/azure"
	"github.com/dbaas-io/dbaas/internal/clients/cloudinit"
	"github.com/dbaas-io/dbaas/internal/clients/gcp"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/providerconfig"
	"github.com/dbaas-io/dbaas/internal/clients/terraform"
	"github.com/dbaas-io/dbaas/internal/clients/vsphere"
)

const (
	errCredentials = "cannot read the %s backend's credentials"
	errNoBlock     = "provider config backend %s needs its spec.%s block"
	errUnknown     = "provider config names backend %q, which this provider does not know"
	errHostsNoSSH  = "spec.local.network makes machines hosts reached over SSH: it needs spec.ssh"
	errHostsUser   = "the hosts of spec.local.network let in root only: set spec.ssh.user to root and spec.ssh.sudo to false, not %q"
	errHostsKey    = "cannot read the SSH private key from Secret %s/%s key %s"
)

// Options are how the provider reaches its backends beyond what a provider
// config says.
type Options struct {
	// LocalDir is the local backend's directory when a provider config
	// names none.
	LocalDir string

	// Azure replaces how Azure is reached; tests hand in the SDK's fake
	// servers.
	Azure azure.Options

	// Policy is what namespaced ProviderConfigs may reach, for machines
	// and for servers alike.
	Policy providerconfig.Policy

	// Wrap, when set, wraps every backend handed out. Tests use it to cut a
	// create short the way a crash of the provider would.
	Wrap func(machine.Backend) machine.Backend
}

// Connect returns the backend the provider config names. It is the one
// place a backend is chosen and built: every controller that drives
// machines or rules, and the DatabaseInstance controller that finds its
// members' local machines, comes here.
func Connect(ctx context.Context, kube client.Client, pc *apisv1alpha1.ProviderConfigSpec, o Options) (machine.Backend, error) {
	b, err := connect(ctx, kube, pc, o)
	if err != nil {
		return nil, err
	}
	name := string(pc.Backend)
	if name == "" {
		name = string(apisv1alpha1.BackendLocal)
	}
	b = instrumented{Backend: b, name: name}
	if o.Wrap != nil {
		b = o.Wrap(b)
	}
	return b, nil
}

// connect builds the backend. Backends other than local are reached with
// the provider config's credentials and, but for vSphere, are cached per
// config and credentials (see cached).
func connect(ctx context.Context, kube client.Client, pc *apisv1alpha1.ProviderConfigSpec, o Options) (machine.Backend, error) {
	switch pc.Backend {
	case apisv1alpha1.BackendVSphere:
		// The vSphere client keeps its own logged-in sessions: no cache.
		return remote(ctx, kube, pc, pc.VSphere != nil, nil, func(creds []byte) (machine.Backend, error) {
			return vsphere.New(ctx, pc.VSphere, creds)
		})
	case apisv1alpha1.BackendAzure:
		var key any = pc.Azure
		if o.Azure.Transport != nil {
			// A transport handed in is not part of the cache's key.
			key = nil
		}
		return remote(ctx, kube, pc, pc.Azure != nil, key, func(creds []byte) (machine.Backend, error) {
			return azure.New(pc.Azure, creds, o.Azure)
		})
	case apisv1alpha1.BackendGCP:
		return remote(ctx, kube, pc, pc.GCP != nil, pc.GCP, func(key []byte) (machine.Backend, error) {
			return gcp.New(context.WithoutCancel(ctx), pc.GCP, key)
		})
	case apisv1alpha1.BackendTerraform:
		return remote(ctx, kube, pc, pc.Terraform != nil, pc.Terraform, func(token []byte) (machine.Backend, error) {
			return terraform.New(pc.Terraform, token)
		})
	case apisv1alpha1.BackendLocal, "":
		b, err := local.FromConfig(pc, o.LocalDir)
		if err != nil {
			return nil, err
		}
		if b.Hosts() {
			key, port, err := hostLogin(ctx, kube, pc)
			if err != nil {
				b.SetHostLoginError(err)
			} else {
				b.SetHostLogin([]byte(key+"\n"), port)
			}
		}
		return b, nil
	default:
		return nil, errors.Errorf(errUnknown, pc.Backend)
	}
}

// hostLogin is the public key the local backend's hosts let in, and the
// port their sshd listens on, from the provider config's ssh block. The
// hosts let in root only: a sudo login user is not built.
func hostLogin(ctx context.Context, kube client.Client, pc *apisv1alpha1.ProviderConfigSpec) (string, int32, error) {
	s := pc.SSH
	if s == nil {
		return "", 0, errors.New(errHostsNoSSH)
	}
	if s.User != "root" {
		return "", 0, errors.Errorf(errHostsUser, s.User)
	}
	data, err := providerconfig.SSHKey(ctx, kube, s)
	if err != nil {
		return "", 0, err
	}
	key, err := cloudinit.AuthorizedKey(data)
	if err != nil {
		ref := s.PrivateKeySecretRef
		return "", 0, errors.Wrapf(err, errHostsKey, ref.Namespace, ref.Name, ref.Key)
	}
	return key, s.Port, nil
}

// remote builds a backend reached with credentials: it needs its block of
// the provider config (hasBlock), reads the credentials, and builds the
// client with them, through the cache when cacheKey is not nil.
func remote(ctx context.Context, kube client.Client, pc *apisv1alpha1.ProviderConfigSpec, hasBlock bool, cacheKey any, build func(creds []byte) (machine.Backend, error)) (machine.Backend, error) {
	if !hasBlock {
		return nil, errors.Errorf(errNoBlock, pc.Backend, pc.Backend)
	}
	creds, err := credentials(ctx, kube, pc)
	if err != nil {
		return nil, err
	}
	if cacheKey == nil {
		return build(creds)
	}
	return cached(cacheKey, creds, func() (machine.Backend, error) { return build(creds) })
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
