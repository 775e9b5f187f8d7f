package server

import (
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/sql/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
)

// TestImportAllowed: imports are honoured on the namespace's own instance
// and on a ClusterProviderConfig's server, never on a namespaced
// ProviderConfig's, which any team can point at a shared server.
func TestImportAllowed(t *testing.T) {
	cases := map[string]struct {
		instance string
		ref      *xpv2.ProviderConfigReference
		want     bool
	}{
		"Instance":              {instance: "pg", want: true},
		"ClusterProviderConfig": {ref: &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ClusterProviderConfigKind, Name: "platform"}, want: true},
		"ProviderConfig":        {ref: &xpv2.ProviderConfigReference{Kind: apisv1alpha1.ProviderConfigKind, Name: "shared"}},
		"NoConfig":              {},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := &v1alpha1.Database{}
			d.Spec.ProviderConfigReference = tc.ref
			if got := importAllowed(d, tc.instance); got != tc.want {
				t.Errorf("importAllowed = %v, want %v", got, tc.want)
			}
		})
	}
}
