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
	cluster := func(name, host string, port, perSecond, conns int32) client.Object {
		return &apisv1alpha1.ClusterProviderConfig{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: apisv1alpha1.ProviderConfigSpec{Server: &apisv1alpha1.ExistingServer{
				Engine: "postgresql", Host: host, Port: port, MaxOperationsPerSecond: perSecond, MaxConnections: conns,
			}},
		}
	}
	namespaced := &apisv1alpha1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "mine"},
		Spec: apisv1alpha1.ProviderConfigSpec{Server: &apisv1alpha1.ExistingServer{
			Engine: "postgresql", Host: "db", Port: 5432, MaxOperationsPerSecond: 1, MaxConnections: 1,
		}},
	}
	server := dbms.Config{Engine: dbms.PostgreSQL, Host: "db", Port: 5432}
	cases := map[string]struct {
		reason string
		objs   []client.Object
		want   platform
	}{
		"None": {
			reason: "No ClusterProviderConfig names the server, and a namespaced one sets nothing for others.",
			objs:   []client.Object{namespaced, cluster("other", "elsewhere", 5432, 3, 2)},
			want:   platform{},
		},
		"DefaultPort": {
			reason: "A config without a port names the engine's default port.",
			objs:   []client.Object{cluster("platform", "db", 0, 7, 6)},
			want:   platform{PerSecond: 7, MaxConnections: 6},
		},
		"Lowest": {
			reason: "Several configs name the server: the lowest of each limit is the server's, whichever config it comes from.",
			objs:   []client.Object{cluster("a", "db", 5432, 9, 3), cluster("b", "db", 5432, 4, 30), cluster("c", "db", 5433, 1, 1)},
			want:   platform{PerSecond: 4, MaxConnections: 3},
		},
		"Unset": {
			reason: "A config written before the CRD defaults gets the defaults.",
			objs:   []client.Object{cluster("a", "db", 5432, 0, 0)},
			want:   platform{PerSecond: DefaultPerSecond, MaxConnections: DefaultMaxConns},
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
				t.Errorf("%s\nplatformLimit() = %+v, want %+v", tc.reason, got, tc.want)
			}
		})
	}
}

// TestPoolSize: a config's maxConnections sizes its pool, within what the
// platform's ClusterProviderConfigs allow for the server.
func TestPoolSize(t *testing.T) {
	cases := map[string]struct {
		reason        string
		own, platform int32
		want          int32
	}{
		"Default": {
			reason: "A config written before the CRD's default, on a server no ClusterProviderConfig names, gets the default.",
			want:   DefaultMaxConns,
		},
		"Own": {
			reason: "Without a platform bound a config's own size holds.",
			own:    50, want: 50,
		},
		"BelowPlatform": {
			reason: "A config may ask for fewer sessions than the platform allows.",
			own:    2, platform: 10, want: 2,
		},
		"CappedByPlatform": {
			reason: "A namespace asking for more than the platform allows gets the platform's bound.",
			own:    100, platform: 8, want: 8,
		},
		"DefaultCappedByPlatform": {
			reason:   "The default is capped too.",
			platform: 3, want: 3,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := poolSize(tc.own, tc.platform); got != tc.want {
				t.Errorf("%s\npoolSize(%d, %d) = %d, want %d", tc.reason, tc.own, tc.platform, got, tc.want)
			}
		})
	}
}
