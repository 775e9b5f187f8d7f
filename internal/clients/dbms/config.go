package dbms

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// DefaultConnectTimeout bounds a connection attempt, so that a server that
// does not answer fails a reconcile with a clear message instead of holding
// a worker.
const DefaultConnectTimeout = 10 * time.Second

// Config says how to reach a server and which account to use.
type Config struct {
	Engine   Engine
	Host     string
	Port     int
	User     string
	Password string
	// Database to connect to; empty means the engine's default (postgres,
	// none for MySQL, master for SQL Server).
	Database string
	TLS      TLS
	// ConnectTimeout; zero means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// MaxConns bounds the sessions a pool of this server and account
	// keeps (a provider config's maxConnections); zero means the pool's
	// default. A connection opened on its own ignores it.
	MaxConns int32
}

// Address is host:port.
func (c Config) Address() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
}

// String names the server for messages; it never includes credentials.
func (c Config) String() string {
	return fmt.Sprintf("%s server %s", c.Engine, c.Address())
}

// Timeout returns the connect timeout to use.
func (c Config) Timeout() time.Duration {
	if c.ConnectTimeout > 0 {
		return c.ConnectTimeout
	}
	return DefaultConnectTimeout
}

// DefaultPort returns the engine's usual port.
func DefaultPort(e Engine) int {
	switch e {
	case MySQL, MariaDB:
		return 3306
	case SQLServer:
		return 1433
	default:
		return 5432
	}
}
