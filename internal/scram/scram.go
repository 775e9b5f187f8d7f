// Package scram computes the SCRAM-SHA-256 verifiers PostgreSQL stores for
// passwords, the one implementation the engine (the admin and replication
// roles) and the SQL client (application roles) share. Sending a verifier
// instead of the password keeps the password out of the server's statement
// log and pg_stat_activity.
package scram

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"golang.org/x/text/secure/precis"
)

const (
	errSalt   = "cannot generate a salt"
	errDerive = "cannot derive the salted password"

	// Iterations is what libpq (psql's \password) and the server use.
	Iterations = 4096
	// SaltLen is the length of the random salt, as libpq makes it.
	SaltLen = 16

	prefix = "SCRAM-SHA-256$"
)

// NewVerifier returns a SCRAM-SHA-256 verifier of password with a random
// salt, for a server that is to store it (ALTER ROLE ... PASSWORD).
func NewVerifier(password string) (string, error) {
	salt := make([]byte, SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", errors.Wrap(err, errSalt)
	}
	return Verifier(password, salt, Iterations)
}

// Verifier computes the verifier of RFC 5802 / RFC 7677 in the format
// PostgreSQL stores in pg_authid.rolpassword:
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>.
func Verifier(password string, salt []byte, iterations int) (string, error) {
	// SASLprep the password as libpq and pgx do when they log in, falling
	// back to the raw bytes as they do when it cannot be prepared: a
	// verifier made otherwise would refuse a non-ASCII password that the
	// clients send prepared.
	p, err := precis.OpaqueString.Bytes([]byte(password))
	if err != nil {
		p = []byte(password)
	}
	salted, err := pbkdf2.Key(sha256.New, string(p), salt, iterations, sha256.Size)
	if err != nil {
		return "", errors.Wrap(err, errDerive)
	}
	stored := sha256.Sum256(hmacSHA256(salted, "Client Key"))
	server := hmacSHA256(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return prefix + strconv.Itoa(iterations) + ":" + b64(salt) + "$" + b64(stored[:]) + ":" + b64(server), nil
}

// Matches reports whether verifier, as PostgreSQL stores it in
// pg_authid.rolpassword, was made from password: the password is hashed
// again with the verifier's own salt and iteration count. Anything that is
// not a SCRAM-SHA-256 verifier (MD5, none) does not match.
func Matches(verifier, password string) bool {
	rest, ok := strings.CutPrefix(verifier, prefix)
	if !ok {
		return false
	}
	params, _, ok := strings.Cut(rest, "$")
	if !ok {
		return false
	}
	iter, salt64, ok := strings.Cut(params, ":")
	if !ok {
		return false
	}
	iterations, err := strconv.Atoi(iter)
	if err != nil || iterations < 1 {
		return false
	}
	salt, err := base64.StdEncoding.DecodeString(salt64)
	if err != nil {
		return false
	}
	want, err := Verifier(password, salt, iterations)
	return err == nil && hmac.Equal([]byte(want), []byte(verifier))
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}
