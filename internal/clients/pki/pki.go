// Package pki makes the certificates the provider's engines serve TLS with:
// one self-signed CA per instance, or the platform's own CA, and server
// certificates it signs for the addresses the instance's members answer on.
// The keys the provider makes are ECDSA P-256; a platform CA's key may also
// be RSA or Ed25519.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errKey       = "cannot generate a private key"
	errSerial    = "cannot generate a serial number"
	errSign      = "cannot sign the certificate"
	errParseCert = "cannot parse the certificate PEM"
	errParseKey  = "cannot parse the private key PEM"
	errNoHosts   = "a server certificate needs at least one host name or address"
	errNotCA     = "the certificate is not a CA's: it may not sign certificates (basic constraints CA:TRUE and key usage keyCertSign)"

	// CAValidity is how long a CA certificate the provider makes is valid:
	// long, because nothing renews it yet, and a CA that expires takes the
	// server's TLS down with it.
	CAValidity = 10 * 365 * 24 * time.Hour
	// ServerValidity is how long a server certificate is valid: long, as
	// applications verify it against a CA they were given once; the
	// controller issues a new one RenewBefore its end.
	ServerValidity = 5 * 365 * 24 * time.Hour
	// RenewBefore is how long before it expires a certificate no longer
	// counts as current, so that Current asks for a new one in time.
	RenewBefore = 30 * 24 * time.Hour

	pemCert = "CERTIFICATE"
	pemKey  = "EC PRIVATE KEY"
	// pemRSAKey and pemPKCS8Key are the other forms a platform CA's key
	// comes in: cert-manager writes PKCS #1 RSA keys or PKCS #8 ones.
	pemRSAKey   = "RSA PRIVATE KEY"
	pemPKCS8Key = "PRIVATE KEY"
)

// A Pair is a PEM certificate and its PEM private key.
type Pair struct {
	Cert []byte
	Key  []byte
}

// NewCA returns a self-signed CA named commonName.
func NewCA(commonName string, now time.Time) (Pair, error) {
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	return sign(tmpl, nil, nil)
}

// IssueServer returns a server certificate signed by ca for hosts: IP
// addresses go into the IP SANs, anything else into the DNS SANs, so that
// clients verify-full whichever they connect to. The first host is also the
// common name. The certificate ends when ServerValidity is up or when the
// CA's own certificate ends, whichever comes first: past that no client
// could verify it anyway.
func IssueServer(ca Pair, hosts []string, now time.Time) (Pair, error) {
	return issue(ca, hosts, now, x509.ExtKeyUsageServerAuth)
}

// IssuePeer returns a certificate signed by ca for hosts, as IssueServer
// does, that also authenticates its holder as a client: for two processes
// that call each other over mutual TLS, as Crossplane core and a function
// do.
func IssuePeer(ca Pair, hosts []string, now time.Time) (Pair, error) {
	return issue(ca, hosts, now, x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
}

// issue returns a certificate signed by ca for hosts with the given
// extended key usages.
func issue(ca Pair, hosts []string, now time.Time, usages ...x509.ExtKeyUsage) (Pair, error) {
	if len(hosts) == 0 {
		return Pair{}, errors.New(errNoHosts)
	}
	caCert, caKey, err := parse(ca)
	if err != nil {
		return Pair{}, err
	}
	// A certificate signed by one that may not sign verifies nowhere; a
	// platform CA's Secret that holds a server certificate is refused here
	// rather than served.
	if !caCert.IsCA || (caCert.KeyUsage != 0 && caCert.KeyUsage&x509.KeyUsageCertSign == 0) {
		return Pair{}, errors.New(errNotCA)
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: hosts[0]},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(ServerValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: usages,
	}
	if tmpl.NotAfter.After(caCert.NotAfter) {
		tmpl.NotAfter = caCert.NotAfter
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return sign(tmpl, caCert, caKey)
}

// sign gives tmpl a new key and a random serial number and signs it with
// parentKey as parent, or, with no parent, with its own key (a self-signed
// CA).
func sign(tmpl, parent *x509.Certificate, parentKey crypto.Signer) (Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, errors.Wrap(err, errKey)
	}
	if tmpl.SerialNumber, err = serialNumber(); err != nil {
		return Pair{}, err
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return Pair{}, errors.Wrap(err, errSign)
	}
	return encode(der, key)
}

// Current reports whether server is a certificate caCert signed, valid for
// every one of hosts, its key matching, and not about to expire. Anything
// it cannot parse is not current. A certificate within RenewBefore of its
// end still counts as current when it ends with the CA that signed it: a
// new one could last no longer, and issuing one on every look would only
// churn. Renewing the CA renews it.
func Current(caCert []byte, server Pair, hosts []string, now time.Time) bool {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caCert) {
		return false
	}
	cert, err := parseCert(server.Cert)
	if err != nil {
		return false
	}
	if _, err := tlsKeyMatches(server); err != nil {
		return false
	}
	for _, h := range hosts {
		chains, err := cert.Verify(x509.VerifyOptions{
			Roots: roots, DNSName: h, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			return false
		}
		if now.Add(RenewBefore).After(cert.NotAfter) && outlasts(chains, cert.NotAfter) {
			return false
		}
	}
	return true
}

// outlasts reports whether the CA that signed a certificate ending at end,
// in any of chains, is valid for longer: then a new certificate would last
// longer too.
func outlasts(chains [][]*x509.Certificate, end time.Time) bool {
	for _, c := range chains {
		if len(c) > 1 && c[1].NotAfter.After(end) {
			return true
		}
	}
	return false
}

func serialNumber() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	return n, errors.Wrap(err, errSerial)
}

func encode(der []byte, key *ecdsa.PrivateKey) (Pair, error) {
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return Pair{}, errors.Wrap(err, errKey)
	}
	return Pair{
		Cert: pem.EncodeToMemory(&pem.Block{Type: pemCert, Bytes: der}),
		Key:  pem.EncodeToMemory(&pem.Block{Type: pemKey, Bytes: kder}),
	}, nil
}

func parseCert(p []byte) (*x509.Certificate, error) {
	b, _ := pem.Decode(p)
	if b == nil || b.Type != pemCert {
		return nil, errors.New(errParseCert)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	return c, errors.Wrap(err, errParseCert)
}

func parse(p Pair) (*x509.Certificate, crypto.Signer, error) {
	c, err := parseCert(p.Cert)
	if err != nil {
		return nil, nil, err
	}
	k, err := tlsKeyMatches(p)
	return c, k, err
}

// tlsKeyMatches parses the key and checks that it belongs to the
// certificate.
func tlsKeyMatches(p Pair) (crypto.Signer, error) {
	c, err := parseCert(p.Cert)
	if err != nil {
		return nil, err
	}
	k, err := parseKey(p.Key)
	if err != nil {
		return nil, err
	}
	pub, ok := k.Public().(interface{ Equal(x crypto.PublicKey) bool })
	if !ok || !pub.Equal(c.PublicKey) {
		return nil, errors.New(errParseKey)
	}
	return k, nil
}

// parseKey parses a PEM private key: SEC 1 EC, PKCS #1 RSA or PKCS #8.
func parseKey(p []byte) (crypto.Signer, error) {
	b, _ := pem.Decode(p)
	if b == nil {
		return nil, errors.New(errParseKey)
	}
	var k any
	var err error
	switch b.Type {
	case pemKey:
		k, err = x509.ParseECPrivateKey(b.Bytes)
	case pemRSAKey:
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case pemPKCS8Key:
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	default:
		return nil, errors.New(errParseKey)
	}
	if err != nil {
		return nil, errors.Wrap(err, errParseKey)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New(errParseKey)
	}
	return s, nil
}
