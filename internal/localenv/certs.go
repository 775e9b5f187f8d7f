package localenv

import (
	"os"
	"path/filepath"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/pki"
)

const errWriteTLS = "cannot write TLS files"

// Folders below the certificates directory, each holding tls.crt, tls.key
// and ca.crt, the layout both Crossplane core and function-sdk-go read.
const (
	certsCoreClient = "core-client" // core's client certificate for calling functions (mTLS)
	certsCoreServer = "core-server" // core's serving certificate (webhooks, unused here but required)
	certsFunction   = "function"    // the function's serving certificate
)

// writeCertificates makes a CA and one certificate per folder, all for
// localhost and 127.0.0.1, unless they exist already. Core dials the function
// at 127.0.0.1, so the function's certificate must name that IP; core and the
// function trust each other because one CA signed both, and each
// certificate serves and authenticates a client alike.
func writeCertificates(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, certsFunction, "tls.crt")); err == nil {
		return nil
	}
	now := time.Now()
	ca, err := pki.NewCA("dbaas local CA", now)
	if err != nil {
		return err
	}
	for _, name := range []string{certsCoreClient, certsCoreServer, certsFunction} {
		p, err := pki.IssuePeer(ca, []string{name, "localhost", "127.0.0.1"}, now)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, name), 0o700); err != nil {
			return errors.Wrap(err, errWriteTLS)
		}
		for f, b := range map[string][]byte{"tls.crt": p.Cert, "tls.key": p.Key, "ca.crt": ca.Cert} {
			if err := os.WriteFile(filepath.Join(dir, name, f), b, 0o600); err != nil {
				return errors.Wrap(err, errWriteTLS)
			}
		}
	}
	return nil
}
