package pki

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

// platformCA is a CA as a platform team's tooling makes it (cert-manager,
// openssl): its key in the PEM form given, valid from now for validity.
func platformCA(t *testing.T, key crypto.Signer, keyPEM *pem.Block, isCA bool, now time.Time, validity time.Duration) Pair {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(7),
		Subject:               pkix.Name{CommonName: "platform CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  isCA,
	}
	if !isCA {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return Pair{Cert: pem.EncodeToMemory(&pem.Block{Type: pemCert, Bytes: der}), Key: pem.EncodeToMemory(keyPEM)}
}

func TestIssueWithPlatformCA(t *testing.T) {
	now := time.Now()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edDER, err := x509.MarshalPKCS8PrivateKey(edKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaPKCS8, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaPKCS1 := &pem.Block{Type: pemRSAKey, Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}
	year := 365 * 24 * time.Hour

	cases := map[string]struct {
		reason  string
		ca      Pair
		wantErr bool
	}{
		"RSAPKCS1": {
			reason: "cert-manager's default CA key is RSA in PKCS #1",
			ca:     platformCA(t, rsaKey, rsaPKCS1, true, now, year),
		},
		"RSAPKCS8": {
			reason: "cert-manager writes PKCS #8 when asked to",
			ca:     platformCA(t, rsaKey, &pem.Block{Type: pemPKCS8Key, Bytes: rsaPKCS8}, true, now, year),
		},
		"Ed25519": {
			reason: "an Ed25519 CA comes in PKCS #8",
			ca:     platformCA(t, edKey, &pem.Block{Type: pemPKCS8Key, Bytes: edDER}, true, now, year),
		},
		"NotACA": {
			reason:  "a Secret that holds a server's certificate, not a CA's, signs nothing",
			ca:      platformCA(t, rsaKey, rsaPKCS1, false, now, year),
			wantErr: true,
		},
		"KeyNotTheCertificates": {
			reason:  "a key that is not the certificate's signs nothing",
			ca:      Pair{Cert: platformCA(t, rsaKey, rsaPKCS1, true, now, year).Cert, Key: pem.EncodeToMemory(&pem.Block{Type: pemPKCS8Key, Bytes: edDER})},
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv, err := IssueServer(tc.ca, []string{"10.0.0.5", "localhost"}, now)
			if tc.wantErr {
				if err == nil {
					t.Errorf("%s: IssueServer succeeded", tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: IssueServer: %v", tc.reason, err)
			}
			if _, err := tls.X509KeyPair(srv.Cert, srv.Key); err != nil {
				t.Errorf("%s: the server pair does not load for TLS: %v", tc.reason, err)
			}
			if !Current(tc.ca.Cert, srv, []string{"10.0.0.5", "localhost"}, now) {
				t.Errorf("%s: a certificate just issued is not current", tc.reason)
			}
		})
	}
}

// TestRenewalNearTheCAsEnd: a server certificate lasts no longer than its
// CA, and one that ends with its CA is not issued again on every look.
func TestRenewalNearTheCAsEnd(t *testing.T) {
	now := time.Now()
	hosts := []string{"127.0.0.1"}
	short, err := NewCA("short-lived CA", now)
	if err != nil {
		t.Fatal(err)
	}
	// A CA that ends within RenewBefore, as a platform's may before it is
	// rotated.
	key, err := tlsKeyMatches(short)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := parseCert(short.Cert)
	if err != nil {
		t.Fatal(err)
	}
	caCert.NotAfter = now.Add(RenewBefore / 3)
	der, err := x509.CreateCertificate(rand.Reader, caCert, caCert, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	ending := Pair{Cert: pem.EncodeToMemory(&pem.Block{Type: pemCert, Bytes: der}), Key: short.Key}

	srv, err := IssueServer(ending, hosts, now)
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseCert(srv.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if !c.NotAfter.Equal(now.Add(RenewBefore / 3).Truncate(time.Second)) {
		t.Errorf("the server certificate ends %s, want with its CA at %s", c.NotAfter, now.Add(RenewBefore/3))
	}
	if !Current(ending.Cert, srv, hosts, now) {
		t.Error("a certificate that ends with its CA is not current: it would be issued again on every reconcile")
	}
	if Current(ending.Cert, srv, hosts, now.Add(RenewBefore/2)) {
		t.Error("a certificate whose CA has ended is current")
	}

	// The same certificate's end under a CA that lasts longer is due.
	long, err := NewCA("long-lived CA", now)
	if err != nil {
		t.Fatal(err)
	}
	old, err := IssueServer(long, hosts, now.Add(-ServerValidity+RenewBefore/3))
	if err != nil {
		t.Fatal(err)
	}
	if Current(long.Cert, old, hosts, now) {
		t.Error("a certificate within RenewBefore of its end, from a CA that lasts longer, is current")
	}
}
