package dbms

import "time"

// PoolOptions bound a pool of sessions to one server as one account.
type PoolOptions struct {
	// MaxConns is the most sessions the pool holds at once; reconciles
	// beyond it wait for one to be given back.
	MaxConns int32
	// MaxConnIdleTime closes a session nobody used for this long.
	MaxConnIdleTime time.Duration
	// HealthCheckPeriod is how often idle sessions are checked against
	// MaxConnIdleTime (PostgreSQL; database/sql checks when it lends one).
	HealthCheckPeriod time.Duration
}
