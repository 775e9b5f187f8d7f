package server

import (
	"context"
	"strings"
	"testing"
	"time"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

func newSecret(name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "dba", Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func TestConfig(t *testing.T) {
	kube := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithObjects(
		newSecret("admin", map[string]string{"username": "provisioner", "password": "pw"}),
		newSecret("no-password", map[string]string{"username": "provisioner"}),
		newSecret("ca", map[string]string{"ca.crt": "CA PEM"}),
		newSecret("client", map[string]string{"tls.crt": "CERT", "tls.key": "KEY"}),
	).Build()
	server := func(mod func(s *apisv1alpha1.ExistingServer)) *apisv1alpha1.ExistingServer {
		s := &apisv1alpha1.ExistingServer{Engine: "mariadb", Host: "db.example.com",
			AdminCredentialsSecretRef: xpv2.SecretReference{Namespace: "dba", Name: "admin"}}
		if mod != nil {
			mod(s)
		}
		return s
	}
	type want struct {
		cfg    dbms.Config
		errHas string
	}
	cases := map[string]struct {
		reason string
		server *apisv1alpha1.ExistingServer
		want   want
	}{
		"DefaultPort": {
			reason: "The engine's usual port is used when none is given",
			server: server(nil),
			want:   want{cfg: dbms.Config{Engine: dbms.MariaDB, Host: "db.example.com", Port: 3306, User: "provisioner", Password: "pw"}},
		},
		"TLS": {
			reason: "CA and client certificate come from their Secrets",
			server: server(func(s *apisv1alpha1.ExistingServer) {
				s.Engine, s.Port, s.AdminDatabase = "postgresql", 6432, "admin"
				s.TLS = &apisv1alpha1.ServerTLS{Mode: "verify-full", ServerName: "pg.internal",
					CASecretRef:         &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: "dba", Name: "ca"}, Key: "ca.crt"},
					ClientCertSecretRef: &xpv2.SecretReference{Namespace: "dba", Name: "client"}}
			}),
			want: want{cfg: dbms.Config{Engine: dbms.PostgreSQL, Host: "db.example.com", Port: 6432, Database: "admin", User: "provisioner", Password: "pw",
				TLS: dbms.TLS{Mode: "verify-full", ServerName: "pg.internal", CA: []byte("CA PEM"), Cert: []byte("CERT"), Key: []byte("KEY")}}},
		},
		"NoPassword": {
			reason: "An admin Secret without a password is named",
			server: server(func(s *apisv1alpha1.ExistingServer) { s.AdminCredentialsSecretRef.Name = "no-password" }),
			want:   want{errHas: `the admin credentials Secret dba/no-password has no "password" key`},
		},
		"NoSecret": {
			reason: "A missing admin Secret is named",
			server: server(func(s *apisv1alpha1.ExistingServer) { s.AdminCredentialsSecretRef.Name = "gone" }),
			want:   want{errHas: "cannot get the admin credentials Secret dba/gone"},
		},
		"NoCAKey": {
			reason: "A CA Secret without the key is named",
			server: server(func(s *apisv1alpha1.ExistingServer) {
				s.TLS = &apisv1alpha1.ServerTLS{Mode: "verify-ca",
					CASecretRef: &xpv2.SecretKeySelector{SecretReference: xpv2.SecretReference{Namespace: "dba", Name: "ca"}, Key: "bundle.pem"}}
			}),
			want: want{errHas: `the CA Secret dba/ca has no "bundle.pem" key`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Config(context.Background(), kube, tc.server)
			if tc.want.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want.errHas) {
					t.Fatalf("%s\nConfig(...): err = %v, want one containing %q", tc.reason, err, tc.want.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nConfig(...): %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want.cfg, got); diff != "" {
				t.Errorf("%s\nConfig(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestLimitersShareOneBucketPerServer(t *testing.T) {
	l := NewLimiters()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	// A burst of 2 passes at once; the third must wait half a second, far
	// beyond the deadline, so it fails rather than passing early.
	for i := range 2 {
		if err := l.Wait(ctx, "a", Limit{PerSecond: 2}); err != nil {
			t.Fatalf("operation %d within the burst: %v", i+1, err)
		}
	}
	if err := l.Wait(ctx, "a", Limit{PerSecond: 2}); err == nil || !strings.Contains(err.Error(), "gave up waiting for a turn on a") {
		t.Errorf("third operation on a: err = %v, want it to wait past the deadline", err)
	}
	if err := l.Wait(ctx, "b", Limit{PerSecond: 2}); err != nil {
		t.Errorf("another server has its own bucket: %v", err)
	}
	var none *Limiters
	if err := none.Wait(ctx, "a", Limit{PerSecond: 1}); err != nil {
		t.Errorf("nil limiters limit nothing: %v", err)
	}
}

func TestOpenUnknownEngine(t *testing.T) {
	_, err := Open(context.Background(), dbms.Config{Engine: "oracle"})
	if err == nil || !strings.Contains(err.Error(), `unknown engine "oracle"`) {
		t.Errorf("Open(oracle): err = %v, want the accepted engines", err)
	}
}
