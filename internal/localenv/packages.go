package localenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	pkgv1 "github.com/crossplane/crossplane/apis/v2/pkg/v1"
	pkgv1beta1 "github.com/crossplane/crossplane/apis/v2/pkg/v1beta1"
)

// PackageRepository is where the project publishes its packages: the prefix
// of every package's source in examples/install and of the Configurations'
// dependsOn. Crossplane v2 has no default registry, so both name it.
const PackageRepository = "ghcr.io/dbaas-io"

// PackageVersion is the tag the environment pushes its packages under. It
// satisfies the Configurations' constraints on the provider and function
// (">=v0.1.0"); a pre-release tag would not.
const PackageVersion = "v0.1.0"

// Package is one of the project's Crossplane packages.
type Package struct {
	Kind string // Provider, Function or Configuration
	Name string // the package object's name, and the last part of its source
	File string // the file `make package` writes, in Config.PackageDir
}

// Packages are the packages `make package` builds, in the order they are
// installed: a Configuration after what it depends on, so that the package
// manager finds its dependencies installed under the names examples/install
// gives them instead of installing them a second time.
var Packages = []Package{
	{Kind: pkgv1.ProviderKind, Name: "provider-dbaas", File: "provider-dbaas.xpkg"},
	{Kind: pkgv1.FunctionKind, Name: "function-dbaas", File: "function-dbaas.xpkg"},
	{Kind: pkgv1.ConfigurationKind, Name: "platform-dbaas", File: "platform-dbaas.xpkg"},
	{Kind: pkgv1.ConfigurationKind, Name: "platform-dbaas-claims", File: "platform-dbaas-claims.xpkg"},
}

// Source is where a package is published, without its tag.
func (p Package) Source() string { return PackageRepository + "/" + p.Name }

// localSource is where the environment's registry serves a package.
func (e *Env) localSource(p Package) string { return e.RegistryHost + "/dbaas-io/" + p.Name }

// imageConfigName is the ImageConfig that sends core to the local registry.
const imageConfigName = "dbaas-local-registry"

// installRuntimePackages installs the provider and the function through
// Crossplane's package manager with the manifests of examples/install. An
// ImageConfig rewrites their published sources to the local registry, so
// the manifests are those a cluster applies. Once core has installed the
// provider's CRDs, the provider process starts; then the environment does
// what the External package runtime leaves to it (markRuntime).
func (e *Env) installRuntimePackages(ctx context.Context) error {
	ic := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": pkgv1beta1.SchemeGroupVersion.String(),
		"kind":       pkgv1beta1.ImageConfigKind,
		"metadata":   map[string]any{"name": imageConfigName},
		"spec": map[string]any{
			"matchImages":  []any{map[string]any{"type": string(pkgv1beta1.Prefix), "prefix": PackageRepository + "/"}},
			"rewriteImage": map[string]any{"prefix": e.RegistryHost + "/dbaas-io/"},
		},
	}}
	if err := e.Client.Patch(ctx, ic, client.Apply, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil { //nolint:staticcheck // Unstructured apply is what this needs.
		return errors.Wrap(err, "cannot apply the ImageConfig of the local registry")
	}
	for _, f := range []string{"runtime.yaml", "provider.yaml", "function.yaml"} {
		if err := ApplyFile(ctx, e.Client, filepath.Join(e.cfg.Root, "examples", "install", f)); err != nil {
			return err
		}
	}
	provider, function := Packages[0], Packages[1]
	if err := e.attachRuntime(ctx, provider, &pkgv1.ProviderRevisionList{}, certsProvider, ""); err != nil {
		return err
	}
	if err := e.attachRuntime(ctx, function, &pkgv1.FunctionRevisionList{}, certsFunction, fmt.Sprintf("127.0.0.1:%d", e.functionPort)); err != nil {
		return err
	}
	if err := e.waitForRevision(ctx, provider, &pkgv1.ProviderRevisionList{}); err != nil {
		return err
	}
	if err := e.waitForProviderCRDs(ctx); err != nil {
		return err
	}
	if err := e.StartProvider(ctx); err != nil {
		return err
	}
	if err := e.reportRuntimeHealthy(ctx, provider, &pkgv1.ProviderRevisionList{}); err != nil {
		return err
	}
	if err := e.waitForRevision(ctx, function, &pkgv1.FunctionRevisionList{}); err != nil {
		return err
	}
	if err := e.reportRuntimeHealthy(ctx, function, &pkgv1.FunctionRevisionList{}); err != nil {
		return err
	}
	for _, p := range []Package{provider, function} {
		if err := e.waitForPackage(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// installConfigurations installs the platform's two Configurations through
// the package manager, which resolves their dependencies against the
// provider and function installed before them.
func (e *Env) installConfigurations(ctx context.Context) error {
	for _, f := range []string{"configuration.yaml", "configuration-claims.yaml"} {
		if err := ApplyFile(ctx, e.Client, filepath.Join(e.cfg.Root, "examples", "install", f)); err != nil {
			return err
		}
	}
	for _, p := range Packages[2:] {
		if err := e.waitForPackage(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// waitForRevision waits until the package's active revision has been
// unpacked and its objects installed (RevisionHealthy).
func (e *Env) waitForRevision(ctx context.Context, p Package, l pkgv1.PackageRevisionList) error {
	return e.waitFor(ctx, fmt.Sprintf("the %s %s's revision to be installed", p.Kind, p.Name), func() (bool, error) {
		rev, err := activeRevision(ctx, e.Client, p, l)
		if err != nil || rev == nil {
			return false, err
		}
		return rev.GetCondition(pkgv1.TypeRevisionHealthy).Status == corev1.ConditionTrue, nil
	})
}

// waitForPackage waits until the package is Installed and Healthy.
func (e *Env) waitForPackage(ctx context.Context, p Package) error {
	return e.waitFor(ctx, fmt.Sprintf("the %s %s to be installed and healthy", p.Kind, p.Name), func() (bool, error) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(pkgv1.SchemeGroupVersion.WithKind(p.Kind))
		if err := e.Client.Get(ctx, client.ObjectKey{Name: p.Name}, u); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		return conditionTrue(u, string(pkgv1.TypeInstalled)) && conditionTrue(u, string(pkgv1.TypeHealthy)), nil
	})
}

// waitForProviderCRDs waits until every CRD of the provider's package is
// established: the package manager turns the managed kinds' CRDs into
// ManagedResourceDefinitions, whose CRDs appear once examples/install's
// activation policy has activated them, and the provider cannot start
// without all of them.
func (e *Env) waitForProviderCRDs(ctx context.Context) error {
	files, err := filepath.Glob(filepath.Join(e.cfg.Root, "package", "crds", "*.yaml"))
	if err != nil {
		return errors.Wrap(err, "cannot list the provider's CRDs")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return errors.Wrapf(err, "cannot read %s", f)
		}
		objs, err := decode(b)
		if err != nil || len(objs) != 1 {
			return errors.Errorf("%s does not hold one CRD (%v)", f, err)
		}
		name := objs[0].GetName()
		err = e.waitFor(ctx, "the CRD "+name+" to be established", func() (bool, error) {
			u := &unstructured.Unstructured{}
			u.SetAPIVersion("apiextensions.k8s.io/v1")
			u.SetKind("CustomResourceDefinition")
			if err := e.Client.Get(ctx, client.ObjectKey{Name: name}, u); err != nil {
				return false, client.IgnoreNotFound(err)
			}
			return conditionTrue(u, "Established"), nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// What Crossplane's External package runtime leaves to the runtime that is
// not core. Core sets up its runtime controllers only under the Deployment
// runtime (internal/controller/pkg/pkg.go in
// github.com/crossplane/crossplane/v2@v2.4.0); under the Deployment runtime
// their hooks (internal/controller/pkg/runtime/runtime_function.go and
// runtime_provider.go, Pre) make the revision's TLS server Secret and record
// its name in status.observedTLSServerSecretName, set a FunctionRevision's
// status.endpoint to its Service, and report RuntimeHealthy. Under External
// nobody does, and:
//   - core installs no object of a provider's or function's revision until
//     that Secret exists with a tls.crt (revision/establisher.go,
//     getWebhookTLSCert: "waiting for package runtime controller to set
//     revision's webhook TLS secret"); it would be the caBundle of the
//     package's conversion webhooks, which ours have none of;
//   - core calls a function at its active revision's status.endpoint
//     (internal/xfn/function_runner.go);
//   - a package is Healthy only when its revision is RevisionHealthy and
//     RuntimeHealthy (apis/v2 pkg/v1 PackageHealth).
// The environment runs the processes, so it does these on the revisions the
// package manager made.

// attachRuntime waits for the package's active revision, makes its TLS
// server Secret from the certificates in certFolder, and records the
// Secret's name, and for a function the endpoint it serves at, in the
// revision's status.
func (e *Env) attachRuntime(ctx context.Context, p Package, l pkgv1.PackageRevisionList, certFolder, endpoint string) error {
	err := e.waitFor(ctx, fmt.Sprintf("the %s %s to have a revision", p.Kind, p.Name), func() (bool, error) {
		rev, err := activeRevision(ctx, e.Client, p, l)
		return rev != nil, err
	})
	if err != nil {
		return err
	}
	secret := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: p.Name + "-tls-server", Namespace: crossplaneNamespace},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{},
	}
	for _, f := range []string{"tls.crt", "tls.key", "ca.crt"} {
		b, err := os.ReadFile(filepath.Join(e.certsDir(), certFolder, f))
		if err != nil {
			return errors.Wrapf(err, "cannot read the certificates of the %s %s", p.Kind, p.Name)
		}
		secret.Data[f] = b
	}
	if err := e.Client.Patch(ctx, secret, client.Apply, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil { //nolint:staticcheck // Apply of a typed object with its TypeMeta.
		return errors.Wrapf(err, "cannot apply the TLS Secret of the %s %s", p.Kind, p.Name)
	}
	return e.updateRevisionStatus(ctx, p, l, func(rev pkgv1.PackageRevisionWithRuntime) {
		rev.SetObservedTLSServerSecretName(&secret.Name)
		if fr, ok := rev.(*pkgv1.FunctionRevision); ok {
			fr.Status.Endpoint = endpoint
		}
	})
}

// reportRuntimeHealthy says on the package's active revision that its
// process runs.
func (e *Env) reportRuntimeHealthy(ctx context.Context, p Package, l pkgv1.PackageRevisionList) error {
	return e.updateRevisionStatus(ctx, p, l, func(rev pkgv1.PackageRevisionWithRuntime) {
		rev.SetConditions(pkgv1.RuntimeHealthy())
	})
}

// updateRevisionStatus changes the status of the package's active revision,
// again on a conflict with core's own updates of it.
func (e *Env) updateRevisionStatus(ctx context.Context, p Package, l pkgv1.PackageRevisionList, change func(pkgv1.PackageRevisionWithRuntime)) error {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		r, err := activeRevision(ctx, e.Client, p, l)
		if err != nil {
			return err
		}
		rev, ok := r.(pkgv1.PackageRevisionWithRuntime)
		if !ok {
			return errors.Errorf("the %s %s has no active revision with a runtime", p.Kind, p.Name)
		}
		change(rev)
		return e.Client.Status().Update(ctx, rev)
	})
	return errors.Wrapf(err, "cannot update the revision status of the %s %s", p.Kind, p.Name)
}

// activeRevision is the package's revision the package manager made active,
// or nil while there is none.
func activeRevision(ctx context.Context, c client.Client, p Package, l pkgv1.PackageRevisionList) (pkgv1.PackageRevision, error) {
	if err := c.List(ctx, l, client.MatchingLabels{pkgv1.LabelParentPackage: p.Name}); err != nil {
		return nil, errors.Wrapf(err, "cannot list the revisions of the %s %s", p.Kind, p.Name)
	}
	for _, r := range l.GetRevisions() {
		if r.GetDesiredState() == pkgv1.PackageRevisionActive {
			return r, nil
		}
	}
	return nil, nil
}

// waitFor polls done until it holds, for at most five minutes: the package
// manager's steps are quick, but the machine may be loaded.
func (e *Env) waitFor(ctx context.Context, what string, done func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var last error
	for {
		ok, err := done()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return errors.Errorf("timed out waiting for %s (last error: %v): see %s", what, last, e.LogFile(Crossplane))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// conditionTrue says whether an object's status holds a condition of type t
// with status True.
func conditionTrue(u *unstructured.Unstructured, t string) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == t {
			return m["status"] == string(corev1.ConditionTrue)
		}
	}
	return false
}
