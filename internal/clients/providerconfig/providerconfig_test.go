package providerconfig

import (
	"context"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	computev1alpha1 "github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
)

func TestResolve(t *testing.T) {
	notFound := kerrors.NewNotFound(schema.GroupResource{Resource: "providerconfigs"}, "missing")
	spec := apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, Local: &apisv1alpha1.LocalBackendConfig{PortRangeStart: 30000}}
	clusterSpec := apisv1alpha1.ProviderConfigSpec{Backend: apisv1alpha1.BackendLocal, Local: &apisv1alpha1.LocalBackendConfig{BaseDir: "/x"}}

	mr := func(kind, name string) *computev1alpha1.VirtualMachine {
		vm := &computev1alpha1.VirtualMachine{}
		vm.SetNamespace("ns")
		if kind != "" {
			vm.SetProviderConfigReference(&xpv2.ProviderConfigReference{Kind: kind, Name: name})
		}
		return vm
	}

	type want struct {
		spec *apisv1alpha1.ProviderConfigSpec
		err  error
	}
	cases := map[string]struct {
		reason string
		kube   client.Reader
		mg     Referencer
		want   want
	}{
		"NoReference": {
			reason: "A resource without a reference cannot be resolved.",
			kube:   &test.MockClient{},
			mg:     mr("", ""),
			want:   want{err: errors.New(errNoRef)},
		},
		"Namespaced": {
			reason: "A ProviderConfig is read from the resource's namespace.",
			kube: &test.MockClient{MockGet: func(_ context.Context, key client.ObjectKey, obj client.Object) error {
				if key.Namespace != "ns" || key.Name != "pc" {
					return notFound
				}
				obj.(*apisv1alpha1.ProviderConfig).Spec = spec
				return nil
			}},
			mg:   mr(apisv1alpha1.ProviderConfigKind, "pc"),
			want: want{spec: &spec},
		},
		"Cluster": {
			reason: "A ClusterProviderConfig has no namespace.",
			kube: &test.MockClient{MockGet: func(_ context.Context, key client.ObjectKey, obj client.Object) error {
				if key.Namespace != "" || key.Name != "cpc" {
					return notFound
				}
				obj.(*apisv1alpha1.ClusterProviderConfig).Spec = clusterSpec
				return nil
			}},
			mg:   mr(apisv1alpha1.ClusterProviderConfigKind, "cpc"),
			want: want{spec: &clusterSpec},
		},
		"NamespacedBeyondItsNamespace": {
			reason: "A ProviderConfig that names what only a ClusterProviderConfig may is refused, and its spec is not handed out.",
			kube: &test.MockClient{MockGet: func(_ context.Context, key client.ObjectKey, obj client.Object) error {
				pc := obj.(*apisv1alpha1.ProviderConfig)
				pc.SetNamespace(key.Namespace)
				pc.SetName(key.Name)
				pc.Spec = clusterSpec
				return nil
			}},
			mg:   mr(apisv1alpha1.ProviderConfigKind, "pc"),
			want: want{err: errors.Errorf(errBaseDir, "ns", "pc")},
		},
		"MissingConfig": {
			reason: "A missing ProviderConfig is an error that names it.",
			kube:   &test.MockClient{MockGet: test.NewMockGetFn(notFound)},
			mg:     mr(apisv1alpha1.ProviderConfigKind, "missing"),
			want:   want{err: errors.Wrapf(notFound, "%s %s/%s", errGetPC, "ns", "missing")},
		},
		"UnsupportedKind": {
			reason: "Only the two provider config kinds are supported.",
			kube:   &test.MockClient{},
			mg:     mr("Other", "x"),
			want:   want{err: errors.Errorf(errUnsupportedKind, "Other")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Resolve(context.Background(), tc.kube, tc.mg, Policy{})
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nResolve(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.spec, got); diff != "" {
				t.Errorf("%s\nResolve(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
