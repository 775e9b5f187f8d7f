// Package sqlenv runs the SQL controllers for integration tests: an API
// server with the provider's CRDs, a real PostgreSQL server behind a Ready
// DatabaseInstance, and a manager with the Database, User and Grant controllers
// whose log output is kept for inspection.
package sqlenv

import (
	"bytes"
	"sync"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/dbaas-io/dbaas/internal/clients/server"
	"github.com/dbaas-io/dbaas/internal/controller/database"
	"github.com/dbaas-io/dbaas/internal/controller/grant"
	"github.com/dbaas-io/dbaas/internal/controller/user"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// Namespace the objects live in, and Instance the DatabaseInstance's name.
const (
	Namespace = "default"
	Instance  = "pg"
)

// Env is a running API server, PostgreSQL server and manager.
type Env struct {
	*testenv.Env
	Server *pgtest.Server
	// Log is everything the manager and controllers logged.
	Log *Buffer
	// GiveUpDeleteAfter is the delete bound of managers started from now
	// on; the provider's default when zero.
	GiveUpDeleteAfter time.Duration
	// ServerLimiters are the per-server limits of the running manager,
	// new at each start as a provider's are.
	ServerLimiters *server.Limiters
	// ServerPools are the sessions of the running manager, new at each
	// start and closed at its stop, as a provider's are.
	ServerPools *server.Pools

	// t is the test that started the Env; managers stop when it ends, not
	// when a subtest that restarted them does.
	t    *testing.T
	stop func()
}

// Start starts everything and stops it when the test ends.
func Start(t *testing.T) *Env {
	t.Helper()
	env := testenv.Start(t)
	srv := pgtest.Start(t)
	pgtest.CreateInstance(t, env.Client, Namespace, Instance, srv)
	e := &Env{Env: env, Server: srv, Log: &Buffer{}, t: t}
	e.StartManager()
	return e
}

// StartWithoutServer starts the API server and the manager only, for tests
// that bring their own database servers; Server is nil.
func StartWithoutServer(t *testing.T) *Env {
	t.Helper()
	e := &Env{Env: testenv.Start(t), Log: &Buffer{}, t: t}
	e.StartManager()
	return e
}

// StartManager starts a manager with the SQL controllers, as a provider
// (re)start would, and stops it when the test that started the Env ends.
func (e *Env) StartManager() {
	t := e.t
	t.Helper()
	log := zap.New(zap.WriteTo(e.Log), zap.UseDevMode(true))
	ctrl.SetLogger(log)
	// Managers stop when the test that started the Env ends, not when a
	// subtest that restarted them does.
	e.ServerLimiters = server.NewLimiters()
	e.ServerPools = server.NewPools()
	e.stop = e.Env.StartManager(t, testenv.ManagerConfig{Setups: []testenv.Setup{database.Setup, user.Setup, grant.Setup}, Log: log,
		GiveUpDeleteAfter: e.GiveUpDeleteAfter, ServerLimiters: e.ServerLimiters, ServerPools: e.ServerPools})
}

// StopManager stops the running manager, as a provider shutdown would.
func (e *Env) StopManager() {
	if e.stop != nil {
		e.stop()
	}
}

// A Buffer is a bytes.Buffer that loggers on many goroutines may share.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
