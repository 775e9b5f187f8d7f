package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/mysql"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql"
)

// Bounds of each pool. A pool serves one server and account for every SQL
// controller of the provider, so its size is also the most sessions the
// provider opens on a server for one account: servers share
// max_connections between every tenant. The size is the provider config's
// maxConnections (capped by the ClusterProviderConfigs that name the
// server), DefaultMaxConns when it has none and for the provider's own
// instances.
const (
	// DefaultMaxConns is also the CRD's default of maxConnections. It is
	// --workers' default: a kind's workers never queue on the pool, and
	// statements run as many at once as BenchmarkSQLFloor's 20 sessions.
	// Four sessions made the pool, not the server, the limit: bench-500
	// saw CREATE DATABASE run about 3.4 a second over 4 sessions against
	// 5.5-15 over the floor's 20 (session 30).
	DefaultMaxConns          = 20
	DefaultMaxConnIdleTime   = 5 * time.Minute
	DefaultHealthCheckPeriod = time.Minute
	// DefaultPoolIdleAfter closes a whole pool nobody used for this long:
	// that of a provider config or instance that was deleted, or of
	// credentials that never worked. Longer than the poll interval, so that
	// a server whose objects are only polled keeps its pool.
	DefaultPoolIdleAfter = 10 * time.Minute
)

// Pools keep logged-in sessions to servers, one pool per server, database,
// account and credentials, shared by the Database, User and Grant
// controllers, so that a reconcile does not pay a login: a SCRAM login
// costs a PostgreSQL server more CPU than the statements of most
// reconciles.
//
// A pool is keyed by the whole of the credentials (password and TLS
// material, as a keyed digest), so two provider configs or namespaces that
// log in differently never share a session. Two that hold the very same
// credentials may: they are the same identity on the server, and either
// could open the other's session by logging in.
//
// When credentials that work replace others for the same server, database
// and account (a rotated password, a new CA), the old pool is closed; one
// whose credentials never worked is not current and cannot close the pool
// of those that do. Pools unused for IdleAfter are closed by Start.
//
// PostgreSQL, MySQL and MariaDB are pooled; SQL Server is opened per
// reconcile.
type Pools struct {
	Options   dbms.PoolOptions
	IdleAfter time.Duration

	// secret keys the digests of credentials, so that a key held in
	// memory cannot be tested against guessed passwords.
	secret []byte

	mu    sync.Mutex
	pools map[string]*pool
	// current is, for each slot (server, database, account), the key of
	// the credentials that last logged in.
	current map[string]string
	stopped bool
	closing sync.WaitGroup
}

type pool struct {
	slot     string
	p        lender
	lastUsed time.Time
	// lent counts the clients borrowed and not yet closed: a pool is
	// closed only once they are back, because database/sql fails the
	// statements of a closed pool at once.
	lent sync.WaitGroup
}

// A lender lends clients of one server and account.
type lender interface {
	Server(ctx context.Context) (dbms.Server, error)
	Close()
}

// pgPool and mysqlPool are the engines' pools as lenders.
type (
	pgPool    struct{ *postgresql.Pool }
	mysqlPool struct{ *mysql.Pool }
)

func (p pgPool) Server(ctx context.Context) (dbms.Server, error) {
	return asServer(p.Client(ctx))
}

func (p mysqlPool) Server(ctx context.Context) (dbms.Server, error) {
	return asServer(p.Client(ctx))
}

// newLender makes the pool of cfg's engine; nil for an engine that is not
// pooled.
func newLender(cfg dbms.Config, o dbms.PoolOptions) (lender, error) {
	switch cfg.Engine {
	case dbms.PostgreSQL, "":
		p, err := postgresql.NewPool(cfg, o)
		if err != nil {
			return nil, err
		}
		return pgPool{p}, nil
	case dbms.MySQL, dbms.MariaDB:
		p, err := mysql.NewPool(cfg, o)
		if err != nil {
			return nil, err
		}
		return mysqlPool{p}, nil
	default:
		return nil, nil
	}
}

// NewPools returns pools with the default bounds.
func NewPools() *Pools {
	secret := make([]byte, 32)
	// crypto/rand.Read never returns an error (Go 1.24).
	_, _ = rand.Read(secret)
	return &Pools{
		Options: dbms.PoolOptions{
			MaxConns:          DefaultMaxConns,
			MaxConnIdleTime:   DefaultMaxConnIdleTime,
			HealthCheckPeriod: DefaultHealthCheckPeriod,
		},
		IdleAfter: DefaultPoolIdleAfter,
		secret:    secret,
		pools:     map[string]*pool{},
		current:   map[string]string{},
	}
}

// Open lends a client of cfg's server from its pool, having borrowed one
// session to show that the credentials log in; each statement of the
// client then holds a session only while it runs (see lent), and the
// client's Close tells the pool it is back. It has Open's signature, for
// Connector.Open.
func (ps *Pools) Open(ctx context.Context, cfg dbms.Config) (dbms.Server, error) {
	slot, key := ps.keys(cfg)
	p, err := ps.get(slot, key, cfg)
	if err != nil {
		return nil, err
	}
	if p == nil {
		// An engine that is not pooled, or the provider is shutting down.
		return Open(ctx, cfg)
	}
	c, err := p.p.Server(ctx)
	if err != nil {
		p.lent.Done()
		return nil, err
	}
	ps.worked(slot, key)
	return lend(p.p, c, p.lent.Done), nil
}

// get returns the pool of key, made with cfg when there is none, marked as
// used now and counted as lent once; nil for an engine that is not pooled
// and once the pools are stopped.
func (ps *Pools) get(slot, key string, cfg dbms.Config) (*pool, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.stopped {
		return nil, nil
	}
	p := ps.pools[key]
	if p == nil {
		o := ps.Options
		o.MaxConns = ps.size(cfg)
		l, err := newLender(cfg, o)
		if err != nil || l == nil {
			return nil, err
		}
		p = &pool{slot: slot, p: l}
		ps.pools[key] = p
	}
	p.lastUsed = time.Now()
	p.lent.Add(1)
	return p, nil
}

// worked records that key's credentials logged in, and closes the pool of
// the credentials they replaced.
func (ps *Pools) worked(slot, key string) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	old := ps.current[slot]
	if old == key {
		return
	}
	ps.current[slot] = key
	if old != "" {
		ps.closeLocked(old)
	}
}

// Sweep closes the pools unused since IdleAfter before now.
func (ps *Pools) Sweep(now time.Time) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for key, p := range ps.pools {
		if now.Sub(p.lastUsed) > ps.IdleAfter {
			ps.closeLocked(key)
		}
	}
}

// closeLocked forgets key's pool and closes it in the background: Close
// waits for borrowed sessions to come back, and a reconcile holding one
// must not hold up every other.
func (ps *Pools) closeLocked(key string) {
	p, ok := ps.pools[key]
	if !ok {
		return
	}
	delete(ps.pools, key)
	if ps.current[p.slot] == key {
		delete(ps.current, p.slot)
	}
	ps.closing.Add(1)
	go func() {
		defer ps.closing.Done()
		p.lent.Wait()
		p.p.Close()
	}()
}

// Start sweeps idle pools until ctx is done, then closes every pool and
// waits for them: it is a manager Runnable, so that a provider's sessions
// end when it stops.
func (ps *Pools) Start(ctx context.Context) error {
	every := ps.IdleAfter / 2
	if every <= 0 {
		every = DefaultPoolIdleAfter / 2
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			ps.Sweep(now)
		case <-ctx.Done():
			ps.Close()
			return nil
		}
	}
}

// NeedLeaderElection is false: closing sessions is right on any replica.
func (ps *Pools) NeedLeaderElection() bool { return false }

// Close closes every pool and waits until their sessions have ended; Open
// opens a connection per call from then on.
func (ps *Pools) Close() {
	ps.mu.Lock()
	ps.stopped = true
	for key := range ps.pools {
		ps.closeLocked(key)
	}
	ps.mu.Unlock()
	ps.closing.Wait()
}

// size is how many sessions cfg's pool holds at most: cfg's own bound (its
// provider config's maxConnections), else Options'.
func (ps *Pools) size(cfg dbms.Config) int32 {
	if cfg.MaxConns > 0 {
		return cfg.MaxConns
	}
	return ps.Options.MaxConns
}

// keys returns cfg's slot (engine, server, database, account, pool size: no
// secret) and the key of its pool, the slot and a keyed digest of
// everything else that decides how the login goes.
//
// The size is part of the slot, so that two configs of one account that
// ask for different sizes each get the pool they asked for, rather than
// whichever connected first; and so that neither counts as the other's
// replaced credentials and closes its pool. A config whose size changes
// gets a new pool at once; the old one, no longer used, closes after
// IdleAfter, and its idle sessions after MaxConnIdleTime.
func (ps *Pools) keys(cfg dbms.Config) (string, string) {
	slot := strings.Join([]string{string(cfg.Engine), cfg.Address(), cfg.Database, cfg.User,
		strconv.Itoa(int(ps.size(cfg)))}, "\x00")
	h := hmac.New(sha256.New, ps.secret)
	for _, b := range [][]byte{
		[]byte(cfg.Password), []byte(cfg.TLS.EffectiveMode()), cfg.TLS.CA, cfg.TLS.Cert, cfg.TLS.Key,
		[]byte(cfg.TLS.ServerName), []byte(cfg.Timeout().String()),
	} {
		writeField(h, b)
	}
	return slot, slot + "\x00" + hex.EncodeToString(h.Sum(nil))
}

// writeField writes b with its length, so that no two lists of fields
// read as the same bytes.
func writeField(h hash.Hash, b []byte) {
	_ = binary.Write(h, binary.BigEndian, uint64(len(b)))
	_, _ = h.Write(b)
}
