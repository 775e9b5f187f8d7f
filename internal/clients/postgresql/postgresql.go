// Package postgresql is a narrow SQL client for the databases and roles of a
// PostgreSQL server. Identifiers are always quoted and values always bound, so
// that names and passwords chosen by users can never change what a statement
// does.
package postgresql

import (
	"context"
	"net"
	"net/url"
	"strconv"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

const (
	errConnect    = "cannot connect to PostgreSQL"
	errParseConf  = "cannot build the connection configuration"
	errBeginTx    = "cannot begin a transaction"
	errCommitTx   = "cannot commit a transaction"
	errCloseConn  = "cannot close the connection to PostgreSQL"
	defaultDBName = "postgres"
)

// SQLSTATE codes the client tells apart.
const (
	codeInvalidPassword       = "28P01"
	codeInsufficientPrivilege = "42501"
	codeTooManyConnections    = "53300"
	codeInvalidCatalogName    = "3D000"
	codeUndefinedObject       = "42704"
)

// Config says how to reach a server and which account to use.
type Config = dbms.Config

// A Client is a dbms.Server backed by one pgx connection: its own, or one
// borrowed from a Pool.
type Client struct {
	cfg  Config
	conn *pgx.Conn
	// pooled is the borrowed session, nil when conn is the client's own.
	pooled *pgxpool.Conn
	// dirty says that a statement ran that may have changed the session's
	// settings (a routine of the administrator's), so the session is ended
	// rather than given back.
	dirty bool
}

var _ dbms.Server = &Client{}

// Connect opens a connection with cfg.
func Connect(ctx context.Context, cfg Config) (*Client, error) {
	conn, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, conn: conn}, nil
}

// Close closes the connection, or gives a borrowed one back to its pool.
func (c *Client) Close(ctx context.Context) error {
	if c.pooled != nil {
		return c.release(ctx)
	}
	return errors.Wrap(c.conn.Close(ctx), errCloseConn)
}

func connect(ctx context.Context, cfg Config) (*pgx.Conn, error) {
	pc, err := pgxConfig(cfg)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, pc)
	return conn, errors.Wrap(err, errConnect)
}

// pgxConfig builds the pgx configuration. The password is set on the parsed
// configuration rather than written into the connection string, so that it
// cannot surface in a parse error. TLS comes from dbms.TLS rather than
// libpq's sslmode so that CA and client certificates can be handed over as
// PEM from Secrets instead of files.
func pgxConfig(cfg Config) (*pgx.ConnConfig, error) {
	db := cfg.Database
	if db == "" {
		db = defaultDBName
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(cfg.User),
		Host:     net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)),
		Path:     "/" + db,
		RawQuery: url.Values{"sslmode": {"disable"}}.Encode(),
	}
	pc, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, errors.Wrap(err, errParseConf)
	}
	pc.Password = cfg.Password
	pc.ConnectTimeout = cfg.Timeout()
	tc, err := cfg.TLS.ClientConfig(cfg.Host)
	if err != nil {
		return nil, errors.Wrap(err, errParseConf)
	}
	pc.TLSConfig = tc
	if cfg.TLS.EffectiveMode() == dbms.TLSPrefer {
		// As libpq's prefer: try TLS, then fall back to a plain connection.
		pc.Fallbacks = []*pgconn.FallbackConfig{{Host: pc.Host, Port: pc.Port}}
	}
	return pc, nil
}

// sqlState returns the SQLSTATE of a server error, or "".
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
