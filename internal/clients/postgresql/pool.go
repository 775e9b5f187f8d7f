package postgresql

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// PoolOptions bound a Pool.
type PoolOptions = dbms.PoolOptions

// A Pool keeps logged-in sessions to one server as one account, so that a
// reconcile borrows a session rather than paying a TCP (and TLS) handshake
// and a SCRAM login, which costs the server more CPU than most of the
// statements a reconcile sends.
type Pool struct {
	cfg  Config
	pool *pgxpool.Pool
}

// NewPool returns a pool of sessions made with cfg. It connects lazily: the
// first Client logs in.
func NewPool(cfg Config, o PoolOptions) (*Pool, error) {
	cc, err := pgxConfig(cfg)
	if err != nil {
		return nil, err
	}
	// ParseConfig("") reads libpq's environment variables; every one of
	// them is overwritten by cc.
	pc, err := pgxpool.ParseConfig("")
	if err != nil {
		return nil, errors.Wrap(err, errParseConf)
	}
	pc.ConnConfig = cc
	pc.MaxConns = o.MaxConns
	pc.MinConns = 0
	pc.MaxConnIdleTime = o.MaxConnIdleTime
	pc.HealthCheckPeriod = o.HealthCheckPeriod
	// Ping every session before it is handed out: a round trip is cheap
	// next to a reconcile that fails on a session the server ended
	// (restart, failover, pg_terminate_backend) and waits out its backoff.
	pc.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return true }
	p, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, errors.Wrap(err, errConnect)
	}
	return &Pool{cfg: cfg, pool: p}, nil
}

// Client borrows a session; the Client's Close gives it back.
func (p *Pool) Client(ctx context.Context) (*Client, error) {
	pc, err := p.pool.Acquire(ctx)
	if err != nil {
		return nil, errors.Wrap(err, errConnect)
	}
	return &Client{cfg: p.cfg, conn: pc.Conn(), pooled: pc}, nil
}

// Close ends the pool's sessions; it waits for those that are borrowed to
// be given back.
func (p *Pool) Close() {
	p.pool.Close()
}

// Sessions is how many sessions the pool holds, borrowed or idle.
func (p *Pool) Sessions() int32 {
	return p.pool.Stat().TotalConns()
}

// release gives c's session back to its pool, or ends it when it may carry
// state that the next borrower must not inherit. pgxpool itself ends a
// session that is closed, busy or inside a transaction.
func (c *Client) release(ctx context.Context) error {
	pc := c.pooled
	c.pooled = nil
	if !c.dirty {
		pc.Release()
		return nil
	}
	return errors.Wrap(pc.Hijack().Close(ctx), errCloseConn)
}
