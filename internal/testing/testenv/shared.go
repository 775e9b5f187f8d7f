package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/testing/integration"
)

// LabelIsolation marks the cluster-scoped objects that one test made on a
// shared API server, so that only that test's managers see them.
const LabelIsolation = "testenv.dbaas.io/isolation"

// shared is the one API server of a test binary whose TestMain runs
// RunShared. Starting an API server and installing the CRDs took 10 to 25
// seconds of a loaded machine's CPU per test; tests that each start one
// spent more time there than in what they test.
var shared struct {
	mu    sync.Mutex
	env   *Env
	stop  func() error
	views int
}

// RunShared runs a package's tests and then stops the API server that
// Shared started, if any. A package whose tests call Shared runs it from
// its TestMain: envtest's etcd and kube-apiserver are processes of their
// own, which would outlive the test binary.
func RunShared(m *testing.M) int {
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.stop != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "cannot stop the shared API server:", err)
			code = 1
		}
	}
	return code
}

// Shared returns the test binary's one API server, started at the first
// call, as one test sees it: its managers (StartManager) see only the
// namespaces that this Env's client created before they started, the
// cluster-scoped objects that it created (it labels them with
// LabelIsolation), and Secrets in every namespace, so that tests run side
// by side (t.Parallel) on the same server without their controllers
// reconciling each other's objects. Create the test's namespaces through
// the returned Env's client before starting a manager. The package's
// TestMain must run RunShared.
func Shared(t testing.TB) *Env {
	t.Helper()
	integration.Needs(t, "etcd and kube-apiserver from the control plane's build (make tools)")
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.env == nil {
		e := &envtest.Environment{
			CRDDirectoryPaths:     []string{filepath.Join(RepoRoot(t), "package", "crds")},
			ErrorIfCRDPathMissing: true,
			BinaryAssetsDirectory: BinDir(t),
			// envtest's 20 seconds were too few for kube-apiserver to
			// become ready on a machine loaded by parallel tests and
			// builds (load 25 on 2 cores); it is started once here.
			ControlPlaneStartTimeout: 2 * time.Minute,
		}
		cfg, err := e.Start()
		if err != nil {
			t.Fatalf("cannot start the shared API server: %v", err)
		}
		shared.stop = e.Stop
		s := Scheme(t)
		c, err := client.New(cfg, client.Options{Scheme: s})
		if err != nil {
			t.Fatal(err)
		}
		shared.env = &Env{Config: cfg, Client: c, Scheme: s}
	}
	shared.views++
	iso := &isolation{label: strconv.Itoa(shared.views), namespaces: map[string]bool{}}
	return &Env{
		Config: shared.env.Config,
		Client: &isolatingClient{Client: shared.env.Client, iso: iso},
		Scheme: shared.env.Scheme,
		iso:    iso,
	}
}

// isolation is what one test's view of a shared API server made.
type isolation struct {
	label string

	mu         sync.Mutex
	namespaces map[string]bool
}

// cache returns the cache options of a manager that sees only what this
// view made, or an error when it made no namespace yet: a manager without
// namespaces would see every test's.
func (i *isolation) cache() (cache.Options, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if len(i.namespaces) == 0 {
		return cache.Options{}, errors.New("a test on the shared API server starts a manager before it created its namespace")
	}
	ns := map[string]cache.Config{}
	for n := range i.namespaces {
		ns[n] = cache.Config{}
	}
	return cache.Options{
		DefaultNamespaces: ns,
		ByObject: map[client.Object]cache.ByObject{
			// The provider configs of other tests are not this test's.
			&apisv1alpha1.ClusterProviderConfig{}: {Label: labels.SelectorFromSet(labels.Set{LabelIsolation: i.label})},
			// A provider config may name a Secret in a namespace that
			// the test makes after its manager started (a platform's
			// CA); nothing watches Secrets, they are only read.
			&corev1.Secret{}: {Namespaces: map[string]cache.Config{cache.AllNamespaces: {}}},
		},
	}, nil
}

// isolatingClient records the namespaces a test creates and labels the
// cluster-scoped objects it creates as its own.
type isolatingClient struct {
	client.Client
	iso *isolation
}

func (c *isolatingClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	if obj.GetNamespace() == "" {
		l := obj.GetLabels()
		if l == nil {
			l = map[string]string{}
		}
		l[LabelIsolation] = c.iso.label
		obj.SetLabels(l)
	}
	if err := c.Client.Create(ctx, obj, opts...); err != nil {
		return err
	}
	if ns, ok := obj.(*corev1.Namespace); ok {
		c.iso.mu.Lock()
		c.iso.namespaces[ns.Name] = true
		c.iso.mu.Unlock()
	}
	return nil
}
