package dbms

import (
	"crypto/tls"
	"crypto/x509"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// TLS modes, named as libpq names them; every client maps them to its
// engine's own settings.
const (
	// TLSDisable never uses TLS.
	TLSDisable = "disable"
	// TLSPrefer uses TLS when the server offers it and falls back to a
	// plain connection otherwise. It does NOT verify the certificate, so
	// anyone on the path can read and change the traffic: it is used only
	// when chosen explicitly, never by default.
	TLSPrefer = "prefer"
	// TLSRequire insists on TLS; the certificate is verified against CA
	// when one is given (as libpq does), not otherwise.
	TLSRequire = "require"
	// TLSVerifyCA insists on TLS and a certificate signed by CA.
	TLSVerifyCA = "verify-ca"
	// TLSVerifyFull also checks that the certificate names the host. It is
	// the default.
	TLSVerifyFull = "verify-full"

	// TLSDefault is the mode of a connection that names none: verify the
	// chain and the host, so that a setting left out never means plain
	// text or an unverified server.
	TLSDefault = TLSVerifyFull
)

const (
	errBadCA         = "the CA bundle holds no PEM certificate"
	errClientCert    = "cannot load the client certificate and key"
	errVerifyChain   = "cannot verify the server certificate"
	errNoCertificate = "the server sent no certificate"
	errUnknownMode   = "unknown TLS mode %q: use disable, prefer, require, verify-ca or verify-full"
)

// TLS settings of a connection. Certificates and keys are PEM.
type TLS struct {
	// Mode is one of the TLS* constants; empty means TLSDefault
	// (verify-full).
	Mode string
	// CA verifies the server's certificate.
	CA []byte
	// Cert and Key are the client certificate, for servers that ask.
	Cert []byte
	Key  []byte
	// ServerName overrides the host name checked by verify-full.
	ServerName string
}

// EffectiveMode returns Mode, or TLSDefault when it is empty.
func (t TLS) EffectiveMode() string {
	if t.Mode == "" {
		return TLSDefault
	}
	return t.Mode
}

// ClientConfig returns the crypto/tls configuration for host, or nil when
// the mode is disable. verify-ca checks the chain but not the name, which
// crypto/tls cannot do by itself, so it verifies the chain by hand.
func (t TLS) ClientConfig(host string) (*tls.Config, error) {
	mode := t.EffectiveMode()
	switch mode {
	case TLSDisable:
		return nil, nil
	case TLSPrefer, TLSRequire, TLSVerifyCA, TLSVerifyFull:
	default:
		return nil, errors.Errorf(errUnknownMode, mode)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	if t.ServerName != "" {
		cfg.ServerName = t.ServerName
	}
	if len(t.Cert) > 0 || len(t.Key) > 0 {
		pair, err := tls.X509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, errors.Wrap(err, errClientCert)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	var roots *x509.CertPool
	if len(t.CA) > 0 {
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(t.CA) {
			return nil, errors.New(errBadCA)
		}
	}
	switch {
	case mode == TLSVerifyFull:
		cfg.RootCAs = roots
	case mode == TLSVerifyCA || (mode == TLSRequire && roots != nil):
		cfg.InsecureSkipVerify = true                  // the chain is checked below, the name is not
		cfg.VerifyPeerCertificate = verifyChain(roots) //nolint:gosec // G123: no ClientSessionCache is set, so no session resumes past this check.
	default:
		cfg.InsecureSkipVerify = true // prefer and require without a CA do not verify, as in libpq
	}
	return cfg, nil
}

func verifyChain(roots *x509.CertPool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New(errNoCertificate)
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, r := range raw {
			c, err := x509.ParseCertificate(r)
			if err != nil {
				return errors.Wrap(err, errVerifyChain)
			}
			certs[i] = c
		}
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
		return errors.Wrap(err, errVerifyChain)
	}
}
