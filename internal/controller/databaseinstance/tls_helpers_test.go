package databaseinstance

import (
	"crypto/tls"
	"crypto/x509"
	"errors"

	corev1 "k8s.io/api/core/v1"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

// secretTLS is how an application connects with a connection secret: the
// sslmode it says, verify-full, against the CA it carries, for host.
func secretTLS(s *corev1.Secret, host string) (*tls.Config, error) {
	if m := string(s.Data["sslmode"]); m != SSLModeVerifyFull {
		return nil, errors.New("the connection secret says sslmode " + m + ", want " + SSLModeVerifyFull)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(s.Data["ca.crt"]) {
		return nil, errors.New("the connection secret's ca.crt holds no certificate")
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots, ServerName: host}, nil
}

// superuserOf is the instance's superuser: spec.forProvider.adminUser, or
// postgres. The connection secret names dbaas_admin instead.
func superuserOf(di *v1alpha1.DatabaseInstance) string {
	if u := di.Spec.ForProvider.AdminUser; u != "" {
		return u
	}
	return defaultAdminUser
}
