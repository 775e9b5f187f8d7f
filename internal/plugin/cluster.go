package plugin

import (
	"context"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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
