/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package mysql is a narrow SQL client for the databases, accounts and
// grants of a MySQL or MariaDB server. Identifiers are quoted and checked to
// be stored as given, values are bound wherever the server takes a
// placeholder, and where it does not (account statements) only quoted names
// and password hashes computed here reach the SQL text, so that names and
// passwords chosen by users can never change what a statement does.
package mysql

import (
	"context"
	"database/sql"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/go-sql-driver/mysql"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errUnknownEngine = "engine %q is not MySQL or MariaDB"
	errConfigure     = "cannot configure the connection"
	errConnect       = "cannot connect to %s"
	errTimedOut      = "no answer within %s"
	errClose         = "cannot close the connections to %s"
)

// The pool is small: a client serves one reconcile, which runs one
// statement at a time, and servers limit connections.
const (
	maxOpenConns    = 2
	connMaxIdleTime = time.Minute
)

// sessionSQLMode is the session's sql_mode without NO_BACKSLASH_ESCAPES,
// which changes what a backslash in a string literal means: quoteString
// escapes backslashes, so it needs them to be escapes. The rest of the
// server's mode is kept.
const sessionSQLMode = `TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))`

// Connection character set. quoteString relies on it: in utf8mb4 no
// multi-byte character contains the byte of a backslash or a quote, which
// in some other character sets (GBK, Big5, SJIS) lets a character swallow
// an escaping backslash.
const (
	connCharset   = "utf8mb4"
	connCollation = "utf8mb4_general_ci"
)

// A Client is a dbms.Server backed by a small pool of connections to one
// MySQL or MariaDB server: its own, or a Pool's that it borrows.
type Client struct {
	cfg    dbms.Config
	engine engine
	db     *sql.DB
	// borrowed says that db is a Pool's, which Close leaves open.
	borrowed bool
}

var _ dbms.Server = &Client{}

// Connect opens a pool with cfg and checks that the server answers. Both
// dbms.MySQL and dbms.MariaDB use it.
func Connect(ctx context.Context, cfg dbms.Config) (*Client, error) {
	e, err := engineOf(cfg.Engine)
	if err != nil {
		return nil, err
	}
	db, err := openDB(cfg, maxOpenConns, connMaxIdleTime)
	if err != nil {
		return nil, err
	}
	if err := ping(ctx, db, cfg, e); err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Client{cfg: cfg, engine: e, db: db}, nil
}

// Close closes the client's connections; a borrowed client leaves them to
// its Pool.
func (c *Client) Close(_ context.Context) error {
	if c.borrowed {
		return nil
	}
	return errors.Wrapf(c.db.Close(), errClose, c.engine.label)
}

// openDB returns a database/sql pool of at most maxConns connections made
// with cfg; it connects lazily.
func openDB(cfg dbms.Config, maxConns int, idle time.Duration) (*sql.DB, error) {
	mc, err := driverConfig(cfg)
	if err != nil {
		return nil, errors.Wrap(err, errConfigure)
	}
	connector, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, errors.Wrap(err, errConfigure)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(idle)
	return db, nil
}

// ping checks within cfg's connect timeout that the server answers, with
// a connection of db's: a new one logs in.
func ping(ctx context.Context, db *sql.DB, cfg dbms.Config, e engine) error {
	pctx, cancel := context.WithTimeout(ctx, cfg.Timeout())
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		return connectError(pctx, err, e, cfg.Timeout())
	}
	return nil
}

// driverConfig is the configuration of the pool's connections: loginConfig
// and the session settings that quoteString relies on, applied to each new
// connection.
func driverConfig(cfg dbms.Config) (*mysql.Config, error) {
	mc, err := loginConfig(cfg)
	if err != nil {
		return nil, err
	}
	mc.Params = map[string]string{"sql_mode": sessionSQLMode}
	if err := mc.Apply(mysql.Charset(connCharset, connCollation)); err != nil {
		return nil, err
	}
	return mc, nil
}

// loginConfig is how to reach the server and log in, with no statement run
// after the login (CanLogin uses it as it is, so that a check spends none of
// the account's MAX_QUERIES_PER_HOUR). The password is a field of it, never
// part of a DSN string, so that it cannot surface in a parse error.
func loginConfig(cfg dbms.Config) (*mysql.Config, error) {
	mc := mysql.NewConfig()
	mc.Net = "tcp"
	mc.Addr = cfg.Address()
	mc.User = cfg.User
	mc.Passwd = cfg.Password
	mc.DBName = cfg.Database
	mc.Timeout = cfg.Timeout()
	// The handshake asks for utf8mb4 too.
	mc.Collation = connCollation
	// Values are sent as bound parameters of server-side prepared
	// statements, not interpolated by the driver, and one call runs one
	// statement.
	mc.InterpolateParams = false
	mc.MultiStatements = false
	tc, err := cfg.TLS.ClientConfig(cfg.Host)
	if err != nil {
		return nil, err
	}
	// disable gives no configuration; prefer tries TLS without verifying
	// it and goes on in plaintext when the server offers none; require and
	// verify-* insist on TLS, verified as dbms.TLS says.
	mc.TLS = tc
	mc.AllowFallbackToPlaintext = cfg.TLS.EffectiveMode() == dbms.TLSPrefer
	return mc, nil
}

// connectError says why a connection failed; a context that ran out is
// named as a timeout, which the driver reports only as a cancellation.
func connectError(ctx context.Context, err error, e engine, timeout time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = errors.Wrapf(err, errTimedOut, timeout)
	}
	return errors.Wrapf(err, errConnect, e.label)
}
