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
	certsRegistry   = "registry"    // the package registry's serving certificate
	certsProvider   = "provider"    // the provider's, which core requires of a package with a runtime though the provider serves no webhook
)

// certFolders are every folder writeCertificates fills.
var certFolders = []string{certsCoreClient, certsCoreServer, certsFunction, certsRegistry, certsProvider}

// writeCertificates makes a CA and one certificate per folder, all for
// localhost and 127.0.0.1, unless they exist already. Core dials the function
// and pulls packages from the registry at 127.0.0.1, so their certificates
// must name that IP; core, the function and the registry trust each other
// because one CA signed them all, and each certificate serves and
// authenticates a client alike. The CA's key is not kept, so a state
// directory missing any folder (one made before the registry was) gets a
// new CA and every certificate again.
func writeCertificates(dir string) error {
	if certificatesWritten(dir) {
		return nil
	}
	now := time.Now()
	ca, err := pki.NewCA("dbaas local CA", now)
	if err != nil {
		return err
	}
	for _, name := range certFolders {
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

func certificatesWritten(dir string) bool {
	for _, name := range certFolders {
		if _, err := os.Stat(filepath.Join(dir, name, "tls.crt")); err != nil {
			return false
		}
	}
	return true
}
