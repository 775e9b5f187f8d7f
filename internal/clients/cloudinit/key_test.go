package cloudinit

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
)

func TestAuthorizedKey(t *testing.T) {
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	openssh, err := ssh.MarshalPrivateKey(edPriv, "")
	if err != nil {
		t.Fatal(err)
	}
	encrypted, err := ssh.MarshalPrivateKeyWithPassphrase(edPriv, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})
	garbage := pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: []byte("not-a-key-TOPSECRETMATERIAL")})

	authorized := func(k any) string {
		t.Helper()
		p, err := ssh.NewPublicKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(p)), "\n")
	}

	type want struct {
		key string
		err error
	}
	cases := map[string]struct {
		reason string
		pem    []byte
		want   want
	}{
		"OpenSSHEd25519": {
			reason: "An OpenSSH private key gives its public key on one line.",
			pem:    pem.EncodeToMemory(openssh),
			want:   want{key: authorized(edPub)},
		},
		"PEMRSA": {
			reason: "A PKCS #1 PEM private key gives its public key.",
			pem:    pkcs1,
			want:   want{key: authorized(&rsaKey.PublicKey)},
		},
		"Encrypted": {
			reason: "A key with a passphrase is refused as such.",
			pem:    pem.EncodeToMemory(encrypted),
			want:   want{err: errors.New(errKeyPassphrase)},
		},
		"Garbage": {
			reason: "A block that is no key is refused, and the error does not repeat it.",
			pem:    garbage,
			want:   want{err: errors.New(errParseKey)},
		},
		"Empty": {
			reason: "Nothing is no key.",
			want:   want{err: errors.New(errParseKey)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := AuthorizedKey(tc.pem)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nAuthorizedKey(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.key, got); diff != "" {
				t.Errorf("%s\nAuthorizedKey(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
