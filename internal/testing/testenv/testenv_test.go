package testenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/internal/testing/integration"
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

// TestRemoveSocketLinksInto: a test's directory going takes its members'
// short socket links with it, and no one else's.
func TestRemoveSocketLinksInto(t *testing.T) {
	integration.Needs(t, "root, to write in "+SocketRoot)
	if err := os.MkdirAll(SocketRoot, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mine := filepath.Join(SocketRoot, "testenv-mine-"+filepath.Base(dir))
	theirs := filepath.Join(SocketRoot, "testenv-theirs-"+filepath.Base(dir))
	for link, to := range map[string]string{mine: filepath.Join(dir, "vm", "run"), theirs: dir + "-other/run"} {
		if err := os.Symlink(to, link); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Remove(link) })
	}
	removeSocketLinksInto(dir)
	if _, err := os.Lstat(mine); !os.IsNotExist(err) {
		t.Errorf("%s leads into %s: want it removed, lstat says %v", mine, dir, err)
	}
	if _, err := os.Lstat(theirs); err != nil {
		t.Errorf("%s leads elsewhere: want it kept, lstat says %v", theirs, err)
	}
}
