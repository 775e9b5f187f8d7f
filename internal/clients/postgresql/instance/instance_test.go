package instance

import (
	"context"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
)

func TestConfig(t *testing.T) {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = enginev1alpha1.SchemeBuilder.AddToScheme(s)

	instance := func(mod func(*enginev1alpha1.DatabaseInstance)) *enginev1alpha1.DatabaseInstance {
		di := &enginev1alpha1.DatabaseInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pg"}}
		di.Spec.ForProvider.Engine = enginev1alpha1.EnginePostgreSQL
		di.Spec.ForProvider.AdminUser = "admin"
		di.Spec.ForProvider.AdminPasswordSecretRef = xpv2.LocalSecretKeySelector{LocalSecretReference: xpv2.LocalSecretReference{Name: "admin"}, Key: "pw"}
		di.Status.AtProvider.Endpoint, di.Status.AtProvider.Port = "127.0.0.1", 20001
		di.Status.SetConditions(xpv2.Available())
		if mod != nil {
			mod(di)
		}
		return di
	}
	secret := func(key string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "admin"}, Data: map[string][]byte{key: []byte("s3cret")}}
	}
	tlsSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pg-tls"}, Data: map[string][]byte{"ca.crt": []byte("CA PEM")}}
	type want struct {
		Cfg postgresql.Config
		Err string
	}
	cases := map[string]struct {
		reason string
		name   string
		objs   []client.Object
		want   want
	}{
		"NoName": {
			reason: "A SQL object must name its instance",
			want:   want{Err: errNoInstance},
		},
		"Creating": {
			reason: "An instance that is not Ready is waited for",
			name:   "pg",
			objs:   []client.Object{secret("pw"), instance(func(di *enginev1alpha1.DatabaseInstance) { di.Status.SetConditions(xpv2.Creating()) })},
			want:   want{Err: "DatabaseInstance pg is not ready yet"},
		},
		"NoEndpoint": {
			reason: "A Ready instance without an endpoint is not usable yet",
			name:   "pg",
			objs:   []client.Object{secret("pw"), instance(func(di *enginev1alpha1.DatabaseInstance) { di.Status.AtProvider.Endpoint = "" })},
			want:   want{Err: "DatabaseInstance pg is not ready yet"},
		},
		"NoKey": {
			reason: "The admin Secret must hold the named key",
			name:   "pg",
			objs:   []client.Object{secret("other"), instance(nil)},
			want:   want{Err: `the admin password Secret of DatabaseInstance pg has no key "pw"`},
		},
		"NoTLSSecret": {
			reason: "Without the instance's CA the server cannot be verified, so there is no connection",
			name:   "pg",
			objs:   []client.Object{secret("pw"), instance(nil)},
			want:   want{Err: `cannot get the TLS Secret pg-tls of DatabaseInstance pg, which holds the CA its server certificate is verified with: secrets "pg-tls" not found`},
		},
		"Ready": {
			reason: "A Ready instance gives its endpoint, dbaas_admin (not the superuser admin) with the password derived from the admin Secret, and verifies the server against its CA",
			name:   "pg",
			objs:   []client.Object{secret("pw"), instance(nil), tlsSecret},
			want: want{Cfg: postgresql.Config{Host: "127.0.0.1", Port: 20001, User: pgroles.Admin, Password: pgroles.Password("s3cret", pgroles.Admin),
				TLS: dbms.TLS{Mode: dbms.TLSVerifyFull, CA: []byte("CA PEM")}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithScheme(s).WithObjects(tc.objs...).Build()
			cfg, err := Config(context.Background(), kube, "ns", tc.name)
			got := want{Cfg: cfg}
			if err != nil {
				got.Err = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nConfig: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
