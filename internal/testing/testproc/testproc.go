// Package testproc runs the throwaway database servers of the tests
// (pgtest, mariadbtest) the one way both need: below a temporary directory
// the test removes, as an unprivileged user of their own when the tests run
// as root, with their output in a log file, and stopped by their PID.
package testproc

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/testing/integration"
)

// A Server is a running server that Stop stops.
type Server interface {
	Stop() error
}

// Start makes a temporary directory named after prefix, starts a server
// below it with newServer and, when the test ends, stops the server and
// removes the directory. name names the server in the failure to stop it.
func Start[S Server](t testing.TB, prefix, name string, newServer func(baseDir string) (S, error)) S {
	t.Helper()
	integration.Needs(t, name+" (make deps)")
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	s, err := newServer(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("cannot stop %s: %v", name, err)
		}
	})
	return s
}

// Root returns the server's own directory, name below baseDir, after making
// baseDir traversable: the server's user must reach its directory, and
// os.MkdirTemp creates baseDir private to its creator.
func Root(baseDir, name string) (string, error) {
	if err := os.Chmod(baseDir, 0o755); err != nil {
		return "", errors.Wrap(err, "cannot make the base directory traversable")
	}
	return filepath.Join(baseDir, name), nil
}

// Password returns a random password of 32 hexadecimal digits.
func Password() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
