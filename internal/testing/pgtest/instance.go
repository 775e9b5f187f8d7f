package pgtest

import (
	"context"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/pki"
	"github.com/dbaas-io/dbaas/internal/engine/pgextensions"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
)

// AdminSecretKey is the key of the admin password in the Secret that
// CreateInstance creates.
const AdminSecretKey = "password"

// CreateInstance creates, in namespace, a Ready DatabaseInstance named name
// whose status points at s, its admin password Secret (name-admin) and its
// TLS Secret with the CA of s (name-tls), as the instance's controller
// keeps it, and makes on s the provider's roles (dbaas_admin, which the SQL
// controllers log in as) and extension functions as the engine makes them
// on an instance. No controller manages them: tests of SQL controllers
// need only the objects.
func CreateInstance(t testing.TB, c client.Client, namespace, name string, s *Server) *enginev1alpha1.DatabaseInstance {
	t.Helper()
	ctx := context.Background()
	ProviderRoles(t, s)
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name + "-admin"},
		Data:       map[string][]byte{AdminSecretKey: []byte(s.Password)},
	}
	if err := c.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	ca := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: pki.SecretName(name)},
		Data:       map[string][]byte{pki.KeyCACert: s.CA},
	}
	if err := c.Create(ctx, ca); err != nil {
		t.Fatal(err)
	}
	di := &enginev1alpha1.DatabaseInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: enginev1alpha1.DatabaseInstanceSpec{
			ForProvider: enginev1alpha1.DatabaseInstanceParameters{
				Engine:    enginev1alpha1.EnginePostgreSQL,
				Version:   "15",
				StorageGB: 1,
				AdminUser: s.User,
				AdminPasswordSecretRef: xpv2.LocalSecretKeySelector{
					LocalSecretReference: xpv2.LocalSecretReference{Name: secret.Name},
					Key:                  AdminSecretKey,
				},
			},
		},
	}
	if err := c.Create(ctx, di); err != nil {
		t.Fatal(err)
	}
	di.Status.AtProvider.Endpoint = s.Host
	di.Status.AtProvider.Port = int32(s.Port)
	di.Status.SetConditions(xpv2.Available())
	if err := c.Status().Update(ctx, di); err != nil {
		t.Fatal(err)
	}
	return di
}

// ProviderRoles makes on s what the engine makes on every instance beside
// its superuser (pgroles.Provider) with s's password as the admin
// password, and the extension functions in template1 and postgres.
func ProviderRoles(t testing.TB, s *Server) {
	t.Helper()
	ctx := context.Background()
	conn := func(db string) *pgx.Conn {
		c, err := s.Conn(t, s.User, s.Password, db)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// The roles' grants on functions and the public schema are those of
	// the database postgres, as the engine makes them.
	p := conn("postgres")
	if err := pgroles.EnsureAll(ctx, p, pgroles.Provider(s.User, s.Password)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*pgx.Conn{conn("template1"), p} {
		if err := pgroles.EnsureExtensionFunctions(ctx, c, pgextensions.Names("15")); err != nil {
			t.Fatal(err)
		}
		_ = c.Close(ctx)
	}
}
