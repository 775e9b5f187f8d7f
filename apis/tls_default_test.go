package apis_test

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// serverTLSDefaultsToVerifyFull: a tls block that names no mode is
// verify-full once the API server has defaulted it, never prefer. It runs
// on TestCRDValidation's API server, which saves starting one of its own.
func serverTLSDefaultsToVerifyFull(t *testing.T, env *testenv.Env) {
	ctx := context.Background()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": v1alpha1.SchemeGroupVersion.String(),
		"kind":       v1alpha1.ClusterProviderConfigKind,
		"metadata":   map[string]any{"generateName": "pc-"},
		"spec": map[string]any{
			"backend": "local",
			"server": map[string]any{
				"engine": "postgresql", "host": "db.example",
				"adminCredentialsSecretRef": map[string]any{"name": "a", "namespace": "b"},
				"tls":                       map[string]any{},
			},
		},
	}}
	if err := env.Client.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	got := &v1alpha1.ClusterProviderConfig{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(u), got); err != nil {
		t.Fatal(err)
	}
	if m := got.Spec.Server.TLS.Mode; m != "verify-full" {
		t.Errorf("a tls block without a mode defaulted to %q, want verify-full", m)
	}
}
