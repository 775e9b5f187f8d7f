package postgresql

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
	v, err := scramVerifier("pencil", salt, 4096)
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
	a, err := NewSCRAMVerifier("same")
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSCRAMVerifier("same")
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
