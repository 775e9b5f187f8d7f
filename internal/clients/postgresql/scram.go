package postgresql

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"golang.org/x/text/secure/precis"
)

// scramIterations is what libpq (psql's \password) and the server use.
const scramIterations = 4096

const scramSaltLen = 16

const errSalt = "cannot generate a salt"

// NewSCRAMVerifier returns a SCRAM-SHA-256 verifier for password with a
// random salt. The server stores a verifier as it is, so the plaintext
// password never has to reach the server.
func NewSCRAMVerifier(password string) (string, error) {
	salt := make([]byte, scramSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", errors.Wrap(err, errSalt)
	}
	return scramVerifier(password, salt, scramIterations)
}

// scramVerifier computes the verifier of RFC 5802 / RFC 7677 in the format
// PostgreSQL stores in pg_authid.rolpassword:
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>.
func scramVerifier(password string, salt []byte, iterations int) (string, error) {
	// SASLprep the password as libpq and pgx do when they log in, falling
	// back to the raw bytes as they do when it cannot be prepared.
	p, err := precis.OpaqueString.Bytes([]byte(password))
	if err != nil {
		p = []byte(password)
	}
	salted, err := pbkdf2.Key(sha256.New, string(p), salt, iterations, sha256.Size)
	if err != nil {
		return "", errors.Wrap(err, "cannot derive the salted password")
	}
	clientKey := hmacSHA256(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	serverKey := hmacSHA256(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return "SCRAM-SHA-256$" + strconv.Itoa(iterations) + ":" + b64(salt) + "$" + b64(storedKey[:]) + ":" + b64(serverKey), nil
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}
