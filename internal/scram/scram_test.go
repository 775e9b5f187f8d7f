package scram

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSCRAMVerifierRFC7677 checks the verifier against the exchange of RFC
// 7677 section 3: a server holding our StoredKey and ServerKey must accept
// the RFC's client proof and send the RFC's server signature.
func TestSCRAMVerifierRFC7677(t *testing.T) {
	const (
		clientFirstBare = "n=user,r=rOprNGfwEbeRWgbNEkqO"
		serverFirst     = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
		clientFinalBare = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
		clientProof     = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
		serverSignature = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
	)
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	v, err := Verifier("pencil", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	// SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>
	parts := strings.Split(v, "$")
	if len(parts) != 3 || parts[0] != "SCRAM-SHA-256" || parts[1] != "4096:W22ZaJ0SNY7soEsUEjb6gQ==" {
		t.Fatalf("verifier %q does not have the PostgreSQL format", v)
	}
	keys := strings.Split(parts[2], ":")
	storedKey, _ := base64.StdEncoding.DecodeString(keys[0])
	serverKey, _ := base64.StdEncoding.DecodeString(keys[1])
	authMessage := clientFirstBare + "," + serverFirst + "," + clientFinalBare

	mac := func(key []byte) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(authMessage))
		return h.Sum(nil)
	}
	if diff := cmp.Diff(serverSignature, base64.StdEncoding.EncodeToString(mac(serverKey))); diff != "" {
		t.Errorf("server signature: -want, +got:\n%s", diff)
	}
	proof, _ := base64.StdEncoding.DecodeString(clientProof)
	sig := mac(storedKey)
	clientKey := make([]byte, len(proof))
	for i := range proof {
		clientKey[i] = proof[i] ^ sig[i]
	}
	got := sha256.Sum256(clientKey)
	if diff := cmp.Diff(storedKey, got[:]); diff != "" {
		t.Errorf("the RFC's client proof does not match StoredKey: -want, +got:\n%s", diff)
	}
}

func TestNewSCRAMVerifierSalts(t *testing.T) {
	a, err := NewVerifier("same")
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewVerifier("same")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("two verifiers of one password are equal; the salt must be random")
	}
	if strings.Contains(a, "same") {
		t.Error("the verifier contains the password")
	}
	if !strings.HasPrefix(a, "SCRAM-SHA-256$4096:") {
		t.Errorf("verifier %q: want SCRAM-SHA-256 with 4096 iterations", a)
	}
}

func TestVerifierMatches(t *testing.T) {
	v, err := NewVerifier("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		verifier, password string
		want               bool
	}{
		"Same":          {v, "s3cret", true},
		"Other":         {v, "other", false},
		"MD5":           {"md5a3556571e93b0d20722ba62be61e8c2d", "s3cret", false},
		"Empty":         {"", "s3cret", false},
		"BadIterations": {"SCRAM-SHA-256$x:c2FsdA==$a:b", "s3cret", false},
		"BadSalt":       {"SCRAM-SHA-256$4096:***$a:b", "s3cret", false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Matches(tc.verifier, tc.password); got != tc.want {
				t.Errorf("Matches(...): want %v, got %v", tc.want, got)
			}
		})
	}
}

func TestScramVerifier(t *testing.T) {
	v, err := NewVerifier("pencil")
	if err != nil {
		t.Fatal(err)
	}
	// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
	head, keys, ok := strings.Cut(v, "$")
	if !ok || head != "SCRAM-SHA-256" {
		t.Fatalf("want a SCRAM-SHA-256 verifier, got %q", v)
	}
	iterSalt, storedServer, _ := strings.Cut(keys, "$")
	iter, salt, _ := strings.Cut(iterSalt, ":")
	stored, server, _ := strings.Cut(storedServer, ":")
	if iter != "4096" || len(mustB64(t, salt)) != SaltLen || len(mustB64(t, stored)) != 32 || len(mustB64(t, server)) != 32 {
		t.Errorf("unexpected verifier layout %q", v)
	}
	if strings.Contains(v, "pencil") || strings.ContainsAny(v, "'\\") {
		t.Errorf("the verifier must hold neither the password nor quote characters: %q", v)
	}
	// The same salt gives the same verifier; another salt another one.
	a, _ := Verifier("pencil", []byte("0123456789abcdef"), 4096)
	b, _ := Verifier("pencil", []byte("0123456789abcdef"), 4096)
	c, _ := Verifier("pencil", []byte("fedcba9876543210"), 4096)
	if a != b || a == c {
		t.Errorf("want verifiers determined by password and salt: %q %q %q", a, b, c)
	}
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("not base64: %q", s)
	}
	return b
}
