package plugin

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
)

// fieldManager is who the API server records as having made the plugin's
// changes.
const fieldManager = "kubectl-dbaas"

// A cluster is the API server as kubectl's flags name it, with every
// answer explained (see explain).
type cluster struct {
	dyn       dynamic.Interface
	mapper    meta.RESTMapper
	namespace string
}

func newCluster(f *genericclioptions.ConfigFlags) (*cluster, error) {
	cfg, err := f.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	ns, _, err := f.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	mapper, err := f.ToRESTMapper()
	if err != nil {
		return nil, err
	}
	return &cluster{dyn: dyn, mapper: mapper, namespace: ns}, nil
}

func (c *cluster) get(ctx context.Context, gvr schema.GroupVersionResource, ns, name string) (*unstructured.Unstructured, error) {
	u, err := c.dyn.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	return u, explain(err, request{verb: "get", resource: gvr.GroupResource(), namespace: ns, name: name})
}

// list lists a kind in a namespace, or in every namespace when ns is empty.
func (c *cluster) list(ctx context.Context, gvr schema.GroupVersionResource, ns string, o metav1.ListOptions) ([]unstructured.Unstructured, error) {
	l, err := c.dyn.Resource(gvr).Namespace(ns).List(ctx, o)
	if err != nil {
		return nil, explain(err, request{verb: "list", resource: gvr.GroupResource(), namespace: ns})
	}
	return l.Items, nil
}

func (c *cluster) patch(ctx context.Context, gvr schema.GroupVersionResource, ns, name string, patch []byte) error {
	_, err := c.dyn.Resource(gvr).Namespace(ns).Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager})
	return explain(err, request{verb: "patch", resource: gvr.GroupResource(), namespace: ns, name: name})
}

// getRef reads a composed resource by its apiVersion and kind, as a
// Database's resource references name it.
func (c *cluster) getRef(ctx context.Context, apiVersion, kind, ns, name string) (*unstructured.Unstructured, error) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, err
	}
	m, err := c.mapper.RESTMapping(gv.WithKind(kind).GroupKind(), gv.Version)
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		ns = ""
	}
	return c.get(ctx, m.Resource, ns, name)
}

// create creates obj, a typed object with its apiVersion and kind set.
func (c *cluster) create(ctx context.Context, gvr schema.GroupVersionResource, obj runtime.Object) error {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{Object: m}
	_, err = c.dyn.Resource(gvr).Namespace(u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{FieldManager: fieldManager})
	return explain(err, request{verb: "create", resource: gvr.GroupResource(), namespace: u.GetNamespace(), name: u.GetName()})
}

// free checks that no object of the kind has the name: a restore makes
// new objects only, and never takes one that someone else made.
func (c *cluster) free(ctx context.Context, gvr schema.GroupVersionResource, ns, name string) error {
	_, err := c.get(ctx, gvr, ns, name)
	switch {
	case err == nil:
		return fmt.Errorf("%s %q exists already in namespace %q: choose another --into", gvr.GroupResource(), name, ns)
	case apierrors.IsNotFound(err):
		return nil
	}
	return err
}
