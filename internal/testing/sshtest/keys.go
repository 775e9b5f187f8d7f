package sshtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"testing"

	"golang.org/x/crypto/ssh"
)

// GenerateKeyPEM returns a new Ed25519 private key in OpenSSH PEM form, for
// tests that need a key the server does not accept.
func GenerateKeyPEM(t testing.TB) []byte {
	t.Helper()
	_, pemBytes := generateKey(t)
	return pemBytes
}

// generateKey returns a new Ed25519 signer and its private key in OpenSSH
// PEM form.
func generateKey(t testing.TB) (ssh.Signer, []byte) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("cannot generate an SSH key: %v", err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatalf("cannot make an SSH signer: %v", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatalf("cannot encode an SSH key: %v", err)
	}
	return signer, pem.EncodeToMemory(block)
}
