package testenv

import (
	"context"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestStartInstallsCRDs checks that the API server comes up with every CRD of
// package/crds served.
func TestStartInstallsCRDs(t *testing.T) {
	env := Start(t)
	s := Scheme(t)
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(env.Config, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	for _, name := range []string{
		"virtualmachines.compute.dbaas.io",
		"databaseinstances.engine.dbaas.io",
		"databases.sql.dbaas.io",
		"users.sql.dbaas.io",
		"clusterproviderconfigs.dbaas.io",
	} {
		if err := c.Get(context.Background(), client.ObjectKey{Name: name}, crd); err != nil {
			t.Errorf("CRD %s is not installed: %v", name, err)
		}
	}
}
