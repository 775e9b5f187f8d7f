// Package ports hands out loopback TCP ports for servers this process is
// about to start: engines in tests, the local environment's control plane.
package ports

import (
	"math/rand/v2"
	"net"
	"strconv"
	"sync"

	"github.com/pkg/errors"
)

// The ports come from below Linux's ephemeral range (32768-60999 by
// default) and below the windows the DatabaseInstance tests hand to the
// local backend (20000-31999). A port the kernel picks with ":0" is an
// ephemeral one, and every outgoing connection on the machine takes its
// source port from the same range: between picking it and the server
// binding it, a client socket of a parallel test took it ("could not bind
// IPv4 address: Address already in use"). Nothing takes a port from this
// range unless it binds it on purpose.
const (
	lowest = 10000
	count  = 10000
	tries  = 100
)

var (
	mu     sync.Mutex
	handed = map[int]bool{}
)

// Free returns a loopback port that nothing listens on right now and that
// this process has not handed out before. Another process could still bind
// it first; a server start then fails loudly, naming the port.
func Free() (int, error) {
	mu.Lock()
	defer mu.Unlock()
	for range tries {
		p := lowest + rand.IntN(count) //nolint:gosec // Not a secret.
		if handed[p] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		_ = l.Close()
		handed[p] = true
		return p, nil
	}
	return 0, errors.Errorf("no free loopback port in %d-%d after %d tries", lowest, lowest+count-1, tries)
}

// startAttempts bounds the retries when another process takes the port
// between Free and the server binding it.
const startAttempts = 5

// StartOnFree starts a server on a port from Free, trying another port when
// start reports that the one it got was taken in the meantime (collision);
// any other failure ends it at once.
func StartOnFree(start func(port int) (collision bool, err error)) error {
	var err error
	for range startAttempts {
		var port int
		if port, err = Free(); err != nil {
			return err
		}
		var collision bool
		if collision, err = start(port); err == nil || !collision {
			return err
		}
	}
	return errors.Wrapf(err, "no free port after %d attempts", startAttempts)
}
