package instance

import "github.com/dbaas-io/dbaas/internal/clients/pki"

// Every DatabaseInstance serves TLS with a certificate signed by a CA of its
// own. The provider keeps both in a Secret beside the instance, owned by it
// (its layout is package pki's); the SQL controllers verify the server
// against that CA with verify-full: the certificate names the addresses the
// members answer on.
const (
	// KeyCACert is the PEM CA certificate in the TLS Secret and in the
	// instance's connection secret.
	KeyCACert = pki.KeyCACert

	// KeySSLMode is the libpq sslmode the connection secret tells
	// applications to use.
	KeySSLMode = "sslmode"
)

// TLSSecretName is the name of the TLS Secret of the instance name.
func TLSSecretName(name string) string { return pki.SecretName(name) }
