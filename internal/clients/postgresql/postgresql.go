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
)

const (
	errConnect    = "cannot connect to PostgreSQL"
	errParseConf  = "cannot build the connection configuration"
	errBeginTx    = "cannot begin a transaction"
	errCommitTx   = "cannot commit a transaction"
	errCloseConn  = "cannot close the connection to PostgreSQL"
	defaultSSL    = "prefer"
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
type Config struct {
	Host     string
	Port     int
	User     string
	Password string
	// Database to connect to; empty means postgres.
	Database string
	// SSLMode is a libpq sslmode; empty means prefer.
	SSLMode string
}

// DB is what the controllers need from a PostgreSQL server.
type DB interface {
	// ObserveDatabase returns nil when the database does not exist.
	ObserveDatabase(ctx context.Context, name string) (*DatabaseObservation, error)
	CreateDatabase(ctx context.Context, name string, p DatabaseParameters) error
	UpdateDatabase(ctx context.Context, name string, p DatabaseParameters) error
	DropDatabase(ctx context.Context, name string) error

	// ObserveRole returns nil when the role does not exist.
	ObserveRole(ctx context.Context, name string) (*RoleObservation, error)
	RoleExists(ctx context.Context, name string) (bool, error)
	CreateRole(ctx context.Context, name string, p RoleParameters) error
	UpdateRole(ctx context.Context, name string, p RoleParameters) error
	SetPassword(ctx context.Context, name, password string) error
	CanLogin(ctx context.Context, name, password string) (bool, error)
	HasDatabaseAccess(ctx context.Context, role, database string) (bool, error)
	GrantDatabaseAccess(ctx context.Context, role, database string) error
	DropRole(ctx context.Context, name string, alsoIn []string) error

	Close(ctx context.Context) error
}

// A Client is a DB backed by one pgx connection.
type Client struct {
	cfg  Config
	conn *pgx.Conn
}

var _ DB = &Client{}

// Connect opens a connection with cfg.
func Connect(ctx context.Context, cfg Config) (*Client, error) {
	conn, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, conn: conn}, nil
}

// Close closes the connection.
func (c *Client) Close(ctx context.Context) error {
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
// cannot surface in a parse error.
func pgxConfig(cfg Config) (*pgx.ConnConfig, error) {
	db := cfg.Database
	if db == "" {
		db = defaultDBName
	}
	ssl := cfg.SSLMode
	if ssl == "" {
		ssl = defaultSSL
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(cfg.User),
		Host:     net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)),
		Path:     "/" + db,
		RawQuery: url.Values{"sslmode": {ssl}}.Encode(),
	}
	pc, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, errors.Wrap(err, errParseConf)
	}
	pc.Password = cfg.Password
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
