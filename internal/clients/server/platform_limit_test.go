package server

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

func TestPlatformLimit(t *testing.T) {
	s := runtime.NewScheme()
	if err := apisv1alpha1.SchemeBuilder.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	cluster := func(name, host string, port, perSecond int32) client.Object {
		return &apisv1alpha1.ClusterProviderConfig{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: apisv1alpha1.ProviderConfigSpec{Server: &apisv1alpha1.ExistingServer{
				Engine: "postgresql", Host: host, Port: port, MaxOperationsPerSecond: perSecond,
			}},
		}
	}
	namespaced := &apisv1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "mine"},
		Spec: apisv1alpha1.ProviderConfigSpec{Server: &apisv1alpha1.ExistingServer{
			Engine: "postgresql", Host: "db", Port: 5432, MaxOperationsPerSecond: 1,
		}},
	}
	server := dbms.Config{Engine: dbms.PostgreSQL, Host: "db", Port: 5432}
	cases := map[string]struct {
		reason string
		objs   []client.Object
		want   int
	}{
		"None": {
			reason: "No ClusterProviderConfig names the server, and a namespaced one sets nothing for others.",
			objs:   []client.Object{namespaced, cluster("other", "elsewhere", 5432, 3)},
			want:   0,
		},
		"DefaultPort": {
			reason: "A config without a port names the engine's default port.",
			objs:   []client.Object{cluster("platform", "db", 0, 7)},
			want:   7,
		},
		"Lowest": {
			reason: "Several configs name the server: the lowest limit is the server's.",
			objs:   []client.Object{cluster("a", "db", 5432, 9), cluster("b", "db", 5432, 4), cluster("c", "db", 5433, 1)},
			want:   4,
		},
		"Unset": {
			reason: "A config written before the CRD default gets the default.",
			objs:   []client.Object{cluster("a", "db", 5432, 0)},
			want:   DefaultPerSecond,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithScheme(s).WithObjects(tc.objs...).Build()
			got, err := platformLimit(context.Background(), kube, server)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s\nplatformLimit() = %d, want %d", tc.reason, got, tc.want)
			}
		})
	}
}
