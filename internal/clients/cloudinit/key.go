package cloudinit

import (
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// The errors say what is wrong with the key without wrapping the parser's
// error, so that no part of the key can reach a condition or a log.
const (
	errParseKey      = "cannot parse the SSH private key: want an unencrypted private key in OpenSSH or PEM form"
	errKeyPassphrase = "the SSH private key is protected by a passphrase: want an unencrypted private key"
)

// AuthorizedKey returns the public key of an unencrypted private key in
// OpenSSH or PEM form, as one authorized_keys line without its newline
// ("ssh-ed25519 AAAA...").
func AuthorizedKey(privateKeyPEM []byte) (string, error) {
	signer, err := ssh.ParsePrivateKey(privateKeyPEM)
	var pm *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &pm):
		return "", errors.New(errKeyPassphrase)
	case err != nil:
		return "", errors.New(errParseKey)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))), nil
}
