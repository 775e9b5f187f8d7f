package databaseinstance

import (
	"crypto/tls"
	"crypto/x509"
	"errors"

	corev1 "k8s.io/api/core/v1"
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
