// Package testenv starts the real components that integration tests run
// against: a kube-apiserver with etcd (through controller-runtime's envtest,
// using the binaries that `make tools` builds into .cache/bin) with the
// provider's CRDs installed.
package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/dbaas-io/dbaas/apis"
	"github.com/dbaas-io/dbaas/internal/testing/integration"
)

// Env is a running API server with the provider's CRDs.
type Env struct {
	Config *rest.Config
	Client client.Client
	Scheme *runtime.Scheme

	// iso, when set, is what one test made on a shared API server (see
	// Shared): its managers see only that.
	iso *isolation
}

// RepoRoot returns the directory that holds the product's go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && len(b) > 0 && isProductModule(b) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find the repository root (the directory with the product's go.mod)")
		}
		dir = parent
	}
}

func isProductModule(gomod []byte) bool {
	const want = "module github.com/dbaas-io/dbaas\n"
	return len(gomod) >= len(want) && string(gomod[:len(want)]) == want
}

// BinDir is where `make tools` puts etcd, kube-apiserver and crossplane.
func BinDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), ".cache", "bin")
	for _, b := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			t.Fatalf("%s is missing from %s: run `make tools` first", b, dir)
		}
	}
	return dir
}

// Scheme returns a scheme with the Kubernetes core types and the provider's.
func Scheme(t testing.TB) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// Start runs an API server and etcd for the test, installs the CRDs found in
// package/crds and any extra directories, and stops them when the test ends.
func Start(t testing.TB, extraCRDDirs ...string) *Env {
	t.Helper()
	integration.Needs(t, "etcd and kube-apiserver from the control plane's build (make tools)")
	root := RepoRoot(t)
	e := &envtest.Environment{
		CRDDirectoryPaths:     append([]string{filepath.Join(root, "package", "crds")}, extraCRDDirs...),
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: BinDir(t),
		// envtest's 20 seconds, retried five times, were too few at load
		// 30 on 2 cores: TestVirtualMachineOwnNetwork failed there on
		// kube-apiserver not becoming ready. Shared waits as long.
		ControlPlaneStartTimeout: 2 * time.Minute,
	}
	cfg, err := e.Start()
	if err != nil {
		t.Fatalf("cannot start the API server: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Stop(); err != nil {
			t.Errorf("cannot stop the API server: %v", err)
		}
	})
	s := Scheme(t)
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Config: cfg, Client: c, Scheme: s}
}

// SharedDir returns a new directory that other local users may traverse.
// PostgreSQL refuses to run as root, so the provider runs it as the
// unprivileged postgres user, which must reach the data directories below.
// t.TempDir is private to root and so cannot be used for them.
func SharedDir(t testing.TB) string {
	t.Helper()
	integration.Needs(t, "PostgreSQL 15 (make deps) and root, to run it as the postgres user")
	dir, err := os.MkdirTemp("", "dbaas-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		removeSocketLinksInto(dir)
		_ = os.RemoveAll(dir)
	})
	return dir
}

// SocketRoot is postgresql.SocketRoot, where members too deep for their
// own socket path get a short link to it (not imported: the engine's
// tests use this package; a test there keeps the two equal).
const SocketRoot = "/run/dbaas"

// removeSocketLinksInto removes the links in SocketRoot that lead into
// dir: a test whose instance is not removed before its directory goes
// (a failed provisioning, a deleted namespace) would leave them behind.
// Links into other directories are other tests' and the machine's.
func removeSocketLinksInto(dir string) {
	entries, err := os.ReadDir(SocketRoot)
	if err != nil {
		return
	}
	for _, e := range entries {
		link := filepath.Join(SocketRoot, e.Name())
		if to, err := os.Readlink(link); err == nil && strings.HasPrefix(to, dir+string(filepath.Separator)) {
			_ = os.Remove(link)
		}
	}
}
