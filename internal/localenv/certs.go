package localenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errMakeKey  = "cannot generate a private key"
	errMakeCert = "cannot sign a certificate"
	errWriteTLS = "cannot write TLS files"
)

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
// function trust each other because one CA signed both.
func writeCertificates(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, certsFunction, "tls.crt")); err == nil {
		return nil
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return errors.Wrap(err, errMakeKey)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "dbaas local CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return errors.Wrap(err, errMakeCert)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return errors.Wrap(err, errMakeCert)
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})

	for i, name := range []string{certsCoreClient, certsCoreServer, certsFunction} {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return errors.Wrap(err, errMakeKey)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 2)),
			Subject:      pkix.Name{CommonName: name},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.AddDate(10, 0, 0),
			KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			DNSNames:     []string{"localhost", name},
			IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return errors.Wrap(err, errMakeCert)
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return errors.Wrap(err, errMakeKey)
		}
		files := map[string][]byte{
			"tls.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			"tls.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
			"ca.crt":  caPEM,
		}
		if err := os.MkdirAll(filepath.Join(dir, name), 0o700); err != nil {
			return errors.Wrap(err, errWriteTLS)
		}
		for f, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name, f), b, 0o600); err != nil {
				return errors.Wrap(err, errWriteTLS)
			}
		}
	}
	return nil
}
