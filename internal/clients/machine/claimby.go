package machine

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// A Claimant is a managed resource that makes objects in a backend.
type Claimant interface {
	metav1.Object
	GetProviderConfigReference() *xpv2.ProviderConfigReference
}

// ClaimBy is mg's claim on the object what (such as `machine "db-0"`),
// which carries found. Imports are allowed only through a
// ClusterProviderConfig: only the platform's backends are the platform's to
// hand over.
func ClaimBy(what string, mg Claimant, found *ownership.Owner) Claim {
	ref := mg.GetProviderConfigReference()
	return Claim{
		What:          what,
		Owner:         ownership.Of(mg),
		Found:         found,
		WantsImport:   ownership.Wants(mg.GetAnnotations()),
		ImportAllowed: ref != nil && ref.Kind == apisv1alpha1.ClusterProviderConfigKind,
		Deleting:      meta.WasDeleted(mg),
	}
}
