package backend

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

// clients keeps one backend client per provider config contents and
// credentials, so that a reconcile does not pay for a new HTTP client, a
// token exchange or an API ping each time. A changed config or secret makes
// a new key; the old client is simply no longer used.
var clients sync.Map

// cached returns the backend made for the same config and credentials
// before, or makes it.
func cached(config any, creds []byte, build func() (machine.Backend, error)) (machine.Backend, error) {
	h := sha256.New()
	if err := json.NewEncoder(h).Encode(config); err != nil {
		return build()
	}
	h.Write(creds)
	key := hex.EncodeToString(h.Sum(nil))
	if b, ok := clients.Load(key); ok {
		return b.(machine.Backend), nil
	}
	b, err := build()
	if err != nil {
		return nil, err
	}
	actual, _ := clients.LoadOrStore(key, b)
	return actual.(machine.Backend), nil
}
