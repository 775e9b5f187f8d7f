package postgresql

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errSalt = "cannot generate a salt"

	scramIterations = 4096
	scramSaltLen    = 16
)

// scramVerifier returns the SCRAM-SHA-256 secret PostgreSQL stores for
// password, as psql's \password computes it on the client. Sending the
// verifier instead of the password keeps the password out of the server's
// statement log and pg_stat_activity. Generated passwords are ASCII, for
// which SASLprep changes nothing.
func scramVerifier(password string) (string, error) {
	salt := make([]byte, scramSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", errors.Wrap(err, errSalt)
	}
	return scramVerifierWithSalt(password, salt, scramIterations)
}

func scramVerifierWithSalt(password string, salt []byte, iterations int) (string, error) {
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", errors.Wrap(err, errSalt)
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	stored := sha256.Sum256(mac(salted, "Client Key"))
	server := mac(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return "SCRAM-SHA-256$" + strconv.Itoa(iterations) + ":" + b64(salt) + "$" + b64(stored[:]) + ":" + b64(server), nil
}

// SCRAMVerifier returns a new SCRAM-SHA-256 verifier of password, with a
// random salt, for a server that is to store it (ALTER ROLE ... PASSWORD).
func SCRAMVerifier(password string) (string, error) { return scramVerifier(password) }

// VerifierMatches reports whether verifier, as PostgreSQL stores it in
// pg_authid.rolpassword, was made from password: the password is hashed
// again with the verifier's own salt and iteration count. Anything that
// is not a SCRAM-SHA-256 verifier (MD5, none) does not match.
func VerifierMatches(verifier, password string) bool {
	rest, ok := strings.CutPrefix(verifier, "SCRAM-SHA-256$")
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
	want, err := scramVerifierWithSalt(password, salt, iterations)
	return err == nil && hmac.Equal([]byte(want), []byte(verifier))
}
