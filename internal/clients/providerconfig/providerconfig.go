// Package providerconfig resolves the ProviderConfig or ClusterProviderConfig
// that a namespaced managed resource references.
package providerconfig

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
)

const (
	errNoRef           = "managed resource does not reference a provider config"
	errGetPC           = "cannot get ProviderConfig"
	errGetCPC          = "cannot get ClusterProviderConfig"
	errUnsupportedKind = "unsupported provider config kind %q: want ProviderConfig or ClusterProviderConfig"
)

// A Referencer is a namespaced managed resource that names its provider
// config with a typed reference.
type Referencer interface {
	resource.TypedProviderConfigReferencer
	GetNamespace() string
}

// Resolve returns the spec of the provider config that mg references: a
// ProviderConfig in mg's namespace, or a ClusterProviderConfig. A
// ProviderConfig that reaches beyond its namespace (a Secret of another
// namespace, the provider's own credentials, a directory of the provider's
// host, an endpoint p does not allow) is an error that names the field, so
// nothing is read or sent on its behalf.
func Resolve(ctx context.Context, kube client.Reader, mg Referencer, p Policy) (*apisv1alpha1.ProviderConfigSpec, error) {
	ref := mg.GetProviderConfigReference()
	if ref == nil || ref.Name == "" {
		return nil, errors.New(errNoRef)
	}
	switch ref.Kind {
	case apisv1alpha1.ProviderConfigKind:
		pc := &apisv1alpha1.ProviderConfig{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: mg.GetNamespace(), Name: ref.Name}, pc); err != nil {
			return nil, errors.Wrapf(err, "%s %s/%s", errGetPC, mg.GetNamespace(), ref.Name)
		}
		if err := checkNamespaced(pc.GetNamespace(), pc.GetName(), &pc.Spec, p); err != nil {
			return nil, err
		}
		return &pc.Spec, nil
	case apisv1alpha1.ClusterProviderConfigKind:
		cpc := &apisv1alpha1.ClusterProviderConfig{}
		if err := kube.Get(ctx, types.NamespacedName{Name: ref.Name}, cpc); err != nil {
			return nil, errors.Wrapf(err, "%s %s", errGetCPC, ref.Name)
		}
		return &cpc.Spec, nil
	default:
		return nil, errors.Errorf(errUnsupportedKind, ref.Kind)
	}
}
