package pgtest

import (
	"context"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	enginev1alpha1 "github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/pki"
)

// AdminSecretKey is the key of the admin password in the Secret that
// CreateInstance creates.
const AdminSecretKey = "password"

// CreateInstance creates, in namespace, a Ready DatabaseInstance named name
// whose status points at s, its admin password Secret (name-admin) and its
// TLS Secret with the CA of s (name-tls), as the instance's controller
// keeps it. No controller manages them: tests of SQL controllers need only
// the objects.
func CreateInstance(t testing.TB, c client.Client, namespace, name string, s *Server) *enginev1alpha1.DatabaseInstance {
	t.Helper()
	ctx := context.Background()
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
