package server

import (
	"strconv"

	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// Keys of a connection secret that say where an application reaches the
// server and how it checks that it reached the right one.
const (
	KeyEndpoint = "endpoint"
	KeyPort     = "port"
	// KeySSLMode is the libpq sslmode the provider itself uses, for
	// applications to use too; KeyCA is the PEM CA that signs the server's
	// certificate, when the provider verifies the server against one
	// (always for a DatabaseInstance).
	KeySSLMode = "sslmode"
	KeyCA      = "ca.crt"
)

// Details are the server's part of a connection secret, the same for every
// login and database on it: its address, the TLS mode the provider uses and
// the CA it verifies the server with. They hold no credentials: the admin's
// login and the provider's client certificate are the provider's alone.
func Details(host string, port int, t dbms.TLS) managed.ConnectionDetails {
	d := managed.ConnectionDetails{
		KeyEndpoint: []byte(host),
		KeyPort:     []byte(strconv.Itoa(port)),
		KeySSLMode:  []byte(t.EffectiveMode()),
	}
	if len(t.CA) > 0 {
		d[KeyCA] = t.CA
	}
	return d
}
