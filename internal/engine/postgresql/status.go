package postgresql

import (
	"context"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"
)

const (
	errConnect  = "cannot connect to PostgreSQL as the admin user"
	errQuery    = "cannot query PostgreSQL"
	errReload   = "cannot reload the configuration"
	errSettings = "cannot read pg_settings"

	// Address is where local servers listen.
	Address = "127.0.0.1"

	connectTimeout = 5 * time.Second
)

// Status is what a server reports about itself.
type Status struct {
	// Running is true when a postmaster runs for the data directory.
	Running bool
	// Ready is true when the server answers queries with the admin
	// credentials.
	Ready bool
	// Version is the server's version, for example "15.14".
	Version string
	// PendingRestart names settings that only take effect after a restart.
	PendingRestart []string
	// InRecovery is true for a standby.
	InRecovery bool
	// LSN is where a primary writes WAL, or up to where a standby replayed.
	LSN string
	// ReceiveLSN is up to where a standby received and flushed WAL from its
	// primary since it started streaming; empty on a primary or a standby
	// that has not streamed yet. Promotion replays everything received.
	ReceiveLSN string
}

// Connect opens a connection to the instance's database dbname as user.
// Errors never hold the password: pgx reports host, user and database only.
func (i *Instance) Connect(ctx context.Context, user, password, dbname string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		return nil, errors.Wrap(err, errConnect)
	}
	cfg.Host = Address
	cfg.Port = uint16(i.Port)
	cfg.User = user
	cfg.Password = password
	cfg.Database = dbname
	cfg.ConnectTimeout = connectTimeout
	// The provider connects over TCP on loopback only, with TLS verified
	// against the instance's CA when it serves TLS, and never falls back
	// to plain text.
	cfg.Fallbacks = nil
	if cfg.TLSConfig, err = i.clientTLS(); err != nil {
		return nil, errors.Wrap(err, errConnect)
	}
	c, err := pgx.ConnectConfig(ctx, cfg)
	return c, errors.Wrap(err, errConnect)
}

// Status reports whether the server runs and answers the admin user.
func (i *Instance) Status(ctx context.Context, password string) (Status, error) {
	s := Status{Running: i.Running()}
	if !s.Running {
		return s, nil
	}
	c, err := i.Connect(ctx, i.AdminUser, password, "postgres")
	if err != nil {
		// A server that is starting or refuses us is running but not ready.
		return s, nil
	}
	defer c.Close(context.Background())
	var v string
	if err := c.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return s, errors.Wrap(err, errQuery)
	}
	// Distributions append their own label: "15.14 (Debian 15.14-1)".
	s.Version, _, _ = strings.Cut(v, " ")
	rows, err := c.Query(ctx, "SELECT name FROM pg_settings WHERE pending_restart ORDER BY name")
	if err != nil {
		return s, errors.Wrap(err, errSettings)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return s, errors.Wrap(err, errSettings)
	}
	s.PendingRestart = names
	// pg_current_wal_lsn fails during recovery; CASE evaluates only the
	// branch it takes.
	if err := c.QueryRow(ctx, `SELECT pg_is_in_recovery(),
		COALESCE((CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text, ''),
		COALESCE(pg_last_wal_receive_lsn()::text, '')`).Scan(&s.InRecovery, &s.LSN, &s.ReceiveLSN); err != nil {
		return s, errors.Wrap(err, errQuery)
	}
	s.Ready = true
	return s, nil
}

// Apply makes a running server take up configuration changes: a reload, or
// a restart when one of the changed settings is only read at server start
// (context 'postmaster') or the server reports a pending restart.
func (i *Instance) Apply(ctx context.Context, password string, changed []string) error {
	if !i.Running() {
		return i.Start(ctx)
	}
	c, err := i.Connect(ctx, i.AdminUser, password, "postgres")
	if err != nil {
		// A server that does not let the provider in yet, such as one
		// created before it served TLS, whose certificate and rules were
		// just written, is told to read them by a signal; the next
		// reconcile connects.
		if pgctl, berr := i.bin("pg_ctl"); berr == nil {
			_ = run(ctx, i.Dir, pgctl, "reload", "-s", "-D", i.DataDir())
		}
		return err
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return errors.Wrap(err, errReload)
	}
	var restart bool
	err = c.QueryRow(ctx,
		"SELECT EXISTS (SELECT 1 FROM pg_settings WHERE pending_restart OR (context = 'postmaster' AND name = ANY($1)))",
		changed).Scan(&restart)
	if err != nil {
		return errors.Wrap(err, errSettings)
	}
	if !restart {
		return nil
	}
	_ = c.Close(ctx)
	return i.Restart(ctx)
}
