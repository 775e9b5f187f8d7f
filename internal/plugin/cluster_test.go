package plugin_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// A testCluster is a real API server with the provider's CRDs, the platform
// Database's CRD (made from its XRD, as core would) and core's
// EnvironmentConfig, and a kubeconfig that reaches it as its admin in
// namespace team-a.
type testCluster struct {
	env        *testenv.Env
	kubeconfig string
	// cacheDir is kubectl's discovery cache, the test's own.
	cacheDir string
}

func startCluster(t *testing.T) *testCluster {
	t.Helper()
	root := testenv.RepoRoot(t)
	crds := t.TempDir()
	testenv.WriteXRDCRD(t, filepath.Join(root, "apis", "platform", "definition.yaml"), crds)
	core := filepath.Join(root, ".cache", "crossplane", "crds", "apiextensions.crossplane.io_environmentconfigs.yaml")
	b, err := os.ReadFile(core)
	if err != nil {
		t.Fatalf("Crossplane core's CRDs are missing (run make tools): %v", err)
	}
	if err := os.WriteFile(filepath.Join(crds, filepath.Base(core)), b, 0o600); err != nil {
		t.Fatal(err)
	}
	env := testenv.Start(t, crds)

	cfg := env.Config
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken,
		Username: cfg.Username, Password: cfg.Password,
	}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "admin", Namespace: "team-a"}
	kc.CurrentContext = "test"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return &testCluster{env: env, kubeconfig: path, cacheDir: t.TempDir()}
}

// apply creates every object of a multi-document YAML file, then writes
// the status it carries, as the controllers would have.
func (c *testCluster) apply(t *testing.T, file string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := d.Decode(&u.Object); errors.Is(err, io.EOF) {
			return
		} else if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		status, hasStatus := u.Object["status"]
		if err := c.create(ctx, u); err != nil {
			t.Fatalf("cannot create %s %s/%s: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
		}
		if !hasStatus {
			continue
		}
		u.Object["status"] = status
		if err := c.env.Client.Status().Update(ctx, u); err != nil {
			t.Fatalf("cannot write the status of %s %s/%s: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
		}
	}
}

// create creates an object, retrying while its CRD is not served yet: the
// API server serves a CRD it just installed a moment later.
func (c *testCluster) create(ctx context.Context, u *unstructured.Unstructured) error {
	for {
		err := c.env.Client.Create(ctx, u)
		if err == nil || !isNotServedYet(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func isNotServedYet(err error) bool {
	return apierrors.IsNotFound(err) || meta.IsNoMatchError(err)
}

// newest is when the newest Database was created.
func (c *testCluster) newest(t *testing.T) time.Time {
	t.Helper()
	l := &unstructured.UnstructuredList{}
	l.SetAPIVersion("platform.dbaas.io/v1alpha1")
	l.SetKind("DatabaseList")
	if err := c.env.Client.List(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	var newest time.Time
	for _, i := range l.Items {
		if ts := i.GetCreationTimestamp().Time; ts.After(newest) {
			newest = ts
		}
	}
	return newest
}
