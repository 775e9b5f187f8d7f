package mysql

import (
	"context"
	"database/sql"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// A Pool keeps logged-in connections to one server as one account for
// many reconciles, so that each does not pay a handshake and a login.
type Pool struct {
	cfg    dbms.Config
	engine engine
	db     *sql.DB
}

// NewPool returns a pool of connections made with cfg. It connects lazily:
// the first Client logs in.
func NewPool(cfg dbms.Config, o dbms.PoolOptions) (*Pool, error) {
	e, err := engineOf(cfg.Engine)
	if err != nil {
		return nil, err
	}
	db, err := openDB(cfg, int(o.MaxConns), o.MaxConnIdleTime)
	if err != nil {
		return nil, err
	}
	return &Pool{cfg: cfg, engine: e, db: db}, nil
}

// Client lends the pool's connections once the server has answered a ping
// on one: a connection the server ended is replaced (the driver checks a
// connection's liveness before reusing it), and a login that fails is
// reported here, as Connect reports it.
func (p *Pool) Client(ctx context.Context) (*Client, error) {
	if err := ping(ctx, p.db, p.cfg, p.engine); err != nil {
		return nil, err
	}
	return &Client{cfg: p.cfg, engine: p.engine, db: p.db, borrowed: true}, nil
}

// Close closes the pool's connections.
func (p *Pool) Close() {
	_ = p.db.Close()
}

// Sessions is how many connections the pool holds, in use or idle.
func (p *Pool) Sessions() int {
	return p.db.Stats().OpenConnections
}
