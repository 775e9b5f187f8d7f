package executor

import (
	"bytes"
	"fmt"
	"net"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const errParseKnownHostKey = "cannot parse the pinned SSH host key"

// A HostKeyChangedError means the machine presented a host key other than
// the one pinned at first contact: either the machine was rebuilt, or
// something between us and it is answering in its place. The provider must
// not connect until a human decides which.
type HostKeyChangedError struct {
	// Address is the host:port dialled.
	Address string
	// Pinned and Presented are SHA256 fingerprints, as ssh-keygen -l
	// prints them.
	Pinned    string
	Presented string
}

func (e *HostKeyChangedError) Error() string {
	return fmt.Sprintf("the SSH host key of %s changed: pinned %s, presented %s; "+
		"if the machine was rebuilt, clear the pinned host key from the resource's status to accept the new key, "+
		"otherwise something may be intercepting the connection", e.Address, e.Pinned, e.Presented)
}

// hostKeyPin checks the key a server presents against a pinned one and
// remembers the key it saw, so DialSSH can return it for pinning.
type hostKeyPin struct {
	address string
	pinned  ssh.PublicKey // nil on first contact
	seen    ssh.PublicKey
	changed *HostKeyChangedError
}

func newHostKeyPin(address, knownHostKey string) (*hostKeyPin, error) {
	p := &hostKeyPin{address: address}
	if strings.TrimSpace(knownHostKey) == "" {
		return p, nil
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(knownHostKey))
	if err != nil {
		return nil, errors.Wrap(err, errParseKnownHostKey)
	}
	p.pinned = k
	return p, nil
}

// check is an ssh.HostKeyCallback. First contact trusts whatever key comes:
// the machine was created by us moments ago, and its key is pinned from then
// on.
func (p *hostKeyPin) check(_ string, _ net.Addr, key ssh.PublicKey) error {
	p.seen = key
	if p.pinned == nil || bytes.Equal(p.pinned.Marshal(), key.Marshal()) {
		return nil
	}
	p.changed = &HostKeyChangedError{
		Address:   p.address,
		Pinned:    ssh.FingerprintSHA256(p.pinned),
		Presented: ssh.FingerprintSHA256(key),
	}
	return p.changed
}

// algorithms returns the host key algorithms to offer. With a pinned key we
// offer only its type: a server holding several host keys (RSA, ECDSA,
// Ed25519) would otherwise be free to present another one, which would look
// like a changed key.
func (p *hostKeyPin) algorithms() []string {
	if p.pinned == nil {
		return nil
	}
	if p.pinned.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{p.pinned.Type()}
}

// line returns the key seen in authorized_keys format, the form the caller
// pins.
func (p *hostKeyPin) line() string {
	if p.seen == nil {
		return ""
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(p.seen)))
}
