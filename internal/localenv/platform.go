package localenv

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xppkg "github.com/crossplane/crossplane/apis/v2/pkg"

	"github.com/dbaas-io/dbaas/apis"
)

// FieldOwner is the server-side apply field manager of the environment.
const FieldOwner = "dbaas-localenv"

// Scheme has the Kubernetes core types and the provider's.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = apis.AddToScheme(s)
	_ = xppkg.AddToScheme(s)
	return s
}

// installPlatform installs the platform through Crossplane's package
// manager: the catalog first, so that the first Database composed finds it,
// then the two Configurations (the Crossplane v2 Database and the claim
// path, each an XRD and its Composition), then the local
// ClusterProviderConfig. It waits until Crossplane serves both kinds teams
// write.
func (e *Env) installPlatform(ctx context.Context) error {
	catalog, err := filepath.Glob(filepath.Join(e.cfg.Root, "apis", "platform", "catalog", "*.yaml"))
	if err != nil {
		return errors.Wrap(err, "cannot list the platform's catalog")
	}
	for _, f := range catalog {
		if err := ApplyFile(ctx, e.Client, f); err != nil {
			return err
		}
	}
	if err := e.installConfigurations(ctx); err != nil {
		return err
	}
	if err := ApplyFile(ctx, e.Client, filepath.Join(e.cfg.Root, "examples", "providerconfig-local.yaml")); err != nil {
		return err
	}
	for _, k := range []schema.GroupVersionKind{DatabaseGVK, ClaimGVK} {
		if err := e.waitForKind(ctx, k.GroupVersion().String(), k.Kind+"List"); err != nil {
			return err
		}
	}
	return nil
}

// waitForKind waits until the API server lists a kind, which for an XRD's
// claim means Crossplane has created and established its CRD.
func (e *Env) waitForKind(ctx context.Context, apiVersion, listKind string) error {
	l := &unstructured.UnstructuredList{}
	l.SetAPIVersion(apiVersion)
	l.SetKind(listKind)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		// A fresh client each time: the cached REST mapper of a long-lived
		// one would not see a kind that appeared after it started.
		c, err := client.New(e.RestConfig, client.Options{Scheme: Scheme()})
		if err != nil {
			return errors.Wrap(err, "cannot create a Kubernetes client")
		}
		if err := c.List(ctx, l); err == nil {
			e.Client = c
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Errorf("%s %s is not served yet: see %s", apiVersion, listKind, e.LogFile(Crossplane))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// ApplyFile server-side applies every object of a multi-document YAML file.
func ApplyFile(ctx context.Context, c client.Client, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return errors.Wrapf(err, "cannot read %s", path)
	}
	objs, err := decode(b)
	if err != nil {
		return errors.Wrapf(err, "cannot decode %s", path)
	}
	for _, o := range objs {
		if err := c.Patch(ctx, o, client.Apply, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil { //nolint:staticcheck // Unstructured apply is what this needs.
			return errors.Wrapf(err, "cannot apply %s %s from %s", o.GetKind(), o.GetName(), path)
		}
	}
	return nil
}

// decode splits a YAML stream into objects, skipping empty documents.
func decode(b []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := d.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}
