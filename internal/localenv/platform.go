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

	"github.com/dbaas-io/dbaas/apis"
)

// FieldOwner is the server-side apply field manager of the environment.
const FieldOwner = "dbaas-localenv"

// Scheme has the Kubernetes core types and the provider's.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = apis.AddToScheme(s)
	return s
}

// registerFunction makes a function serving at endpoint known to Crossplane
// core. Core calls a function through the active FunctionRevision labelled
// with the function's name, at that revision's status.endpoint. Under the
// External package runtime nothing sets that endpoint, so this does what an
// external runtime would. The revision is paused because no package image
// exists for core's revision controller to unpack (there is no registry
// here); paused, that controller leaves it alone.
func registerFunction(ctx context.Context, c client.Client, name, endpoint string) error {
	rev := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "pkg.crossplane.io/v1",
		"kind":       "FunctionRevision",
		"metadata": map[string]any{
			"name":        name + "-local",
			"labels":      map[string]any{"pkg.crossplane.io/package": name},
			"annotations": map[string]any{"crossplane.io/paused": "true"},
		},
		"spec": map[string]any{
			"desiredState": "Active",
			"image":        "localhost/" + name + ":local",
			"revision":     int64(1),
		},
	}}
	if err := c.Patch(ctx, rev, client.Apply, client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil { //nolint:staticcheck // Unstructured apply is what this needs.
		return errors.Wrap(err, "cannot create the FunctionRevision")
	}
	status := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "pkg.crossplane.io/v1",
		"kind":       "FunctionRevision",
		"metadata":   map[string]any{"name": name + "-local"},
		"status": map[string]any{
			"endpoint":     endpoint,
			"capabilities": []any{"composition"},
			"conditions": []any{map[string]any{
				"type": "Healthy", "status": "True", "reason": "HealthyPackageRevision",
				"lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
			}},
		},
	}}
	return errors.Wrap(c.Status().Patch(ctx, status, client.Apply, client.FieldOwner(FieldOwner), client.ForceOwnership), //nolint:staticcheck // As above.
		"cannot set the FunctionRevision's endpoint")
}

// installPlatform applies the platform's two APIs, the Crossplane v2
// Database and the claim path, with the catalog, their Compositions and the
// local ClusterProviderConfig, and waits until Crossplane serves both kinds
// teams write. The catalog goes before the Compositions, so that the first
// Database composed finds it.
func (e *Env) installPlatform(ctx context.Context) error {
	catalog, err := filepath.Glob(filepath.Join(e.cfg.Root, "apis", "platform", "catalog", "*.yaml"))
	if err != nil {
		return errors.Wrap(err, "cannot list the platform's catalog")
	}
	files := []string{filepath.Join(e.cfg.Root, "apis", "platform", "definition.yaml")}
	files = append(files, catalog...)
	files = append(files,
		filepath.Join(e.cfg.Root, "apis", "platform", "composition.yaml"),
		filepath.Join(e.cfg.Root, "apis", "platform-claims", "definition.yaml"),
		filepath.Join(e.cfg.Root, "apis", "platform-claims", "composition.yaml"),
		filepath.Join(e.cfg.Root, "examples", "providerconfig-local.yaml"),
	)
	for _, f := range files {
		if err := ApplyFile(ctx, e.Client, f); err != nil {
			return err
		}
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
