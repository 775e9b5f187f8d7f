package postgresql

import (
	"context"
	"net"
	"strconv"
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

	// Address is where servers on the provider's host listen, and the
	// default Host of an instance.
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
	// Unanswered is why a running server did not take the provider's
	// admin session: PostgreSQL's own words ("the database system is
	// starting up", a refused peer login), or the socket's channel
	// refused over SSH. Empty when it is Ready or not running.
	Unanswered string
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
	// Timeline is the timeline of the server's latest checkpoint: a
	// promotion starts a new one.
	Timeline int64
	// Streaming is true for a standby whose WAL receiver streams from its
	// primary right now (pg_stat_wal_receiver's status is streaming): the
	// primary is alive as far as this standby can tell.
	Streaming bool
	// Upstream is the host:port the standby's WAL receiver is connected
	// to, when it has one.
	Upstream string
}

// Connect opens a connection over TCP to the instance's database dbname as
// user, who logs in with password as applications do; the provider's own
// administration goes through ConnectAdmin. Errors never hold the password:
// pgx reports host, user and database only.
func (i *Instance) Connect(ctx context.Context, user, password, dbname string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		return nil, errors.Wrap(err, errConnect)
	}
	cfg.Host = i.host()
	cfg.Port = uint16(i.Port)
	cfg.User = user
	cfg.Password = password
	cfg.Database = dbname
	cfg.ConnectTimeout = connectTimeout
	// This connects over TCP to Host only, with TLS verified
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
	running, err := i.Running(ctx)
	s := Status{Running: running}
	if err != nil || !s.Running {
		return s, err
	}
	c, err := i.ConnectAdmin(ctx, password)
	if err != nil {
		// A server that is starting or refuses us is running but not
		// ready; the instance's condition says why.
		s.Unanswered = err.Error()
		return s, nil
	}
	defer c.Close(context.Background())
	s, _, err = readServer(ctx, c)
	s.Running = true
	return s, err
}

// serverQuery is everything a look asks a server, in one statement: each
// statement is a round trip, over SSH through the member's socket
// channel. pg_current_wal_lsn fails during recovery; CASE evaluates only
// the branch it takes.
const serverQuery = `SELECT current_setting('server_version'),
	ARRAY(SELECT name FROM pg_settings WHERE pending_restart ORDER BY name),
	pg_is_in_recovery(),
	COALESCE((CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text, ''),
	COALESCE(pg_last_wal_receive_lsn()::text, ''),
	(SELECT timeline_id FROM pg_control_checkpoint())::bigint,
	COALESCE((SELECT status = 'streaming' FROM pg_stat_wal_receiver), false),
	COALESCE((SELECT sender_host FROM pg_stat_wal_receiver), ''),
	COALESCE((SELECT sender_port FROM pg_stat_wal_receiver), 0),
	current_setting('synchronous_standby_names'),
	COALESCE((SELECT json_agg(json_build_object('name', application_name, 'state', COALESCE(state, ''),
		'sync', COALESCE(sync_state, ''),
		'lag', CASE WHEN pg_is_in_recovery() THEN 0 ELSE COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::bigint END))
		FROM pg_stat_replication), '[]'),
	ARRAY(SELECT slot_name::text FROM pg_replication_slots WHERE starts_with(slot_name, $1) ORDER BY slot_name)`

// senderRow is one row of pg_stat_replication as serverQuery returns it.
type senderRow struct {
	Name  string `json:"name"`
	State string `json:"state"`
	Sync  string `json:"sync"`
	Lag   int64  `json:"lag"`
}

// readServer asks a server over the admin session c what it says about
// itself and about the replicas that stream from it.
func readServer(ctx context.Context, c *pgx.Conn) (Status, Senders, error) {
	var s Status
	snd := Senders{ByName: map[string]Sender{}}
	var v, upHost string
	var upPort int32
	var rows []senderRow
	if err := c.QueryRow(ctx, serverQuery, slotPrefix).Scan(&v, &s.PendingRestart,
		&s.InRecovery, &s.LSN, &s.ReceiveLSN, &s.Timeline, &s.Streaming, &upHost, &upPort,
		&snd.SynchronousStandbyNames, &rows, &snd.Slots); err != nil {
		return s, snd, errors.Wrap(err, errQuery)
	}
	// Distributions append their own label: "15.14 (Debian 15.14-1)".
	s.Version, _, _ = strings.Cut(v, " ")
	if upHost != "" {
		s.Upstream = net.JoinHostPort(upHost, strconv.Itoa(int(upPort)))
	}
	for _, r := range rows {
		// A replica that reconnects can briefly have two senders; the one
		// that streams is the one that counts.
		if old, ok := snd.ByName[r.Name]; ok && old.State == streamingState {
			continue
		}
		snd.ByName[r.Name] = Sender{ApplicationName: r.Name, State: r.State, SyncState: r.Sync, LagBytes: r.Lag}
	}
	s.Ready = true
	return s, snd, nil
}

// Apply makes a running server take up configuration changes: a reload, or
// a restart when one of the changed settings is only read at server start
// (context 'postmaster') or the server reports a pending restart.
func (i *Instance) Apply(ctx context.Context, password string, changed []string) error {
	if running, err := i.Running(ctx); err != nil {
		return err
	} else if !running {
		return i.Start(ctx)
	}
	restart, err := i.Reload(ctx, password, changed)
	if err != nil || !restart {
		return err
	}
	return i.Restart(ctx)
}

// Reload has a running server re-read its configuration files and reports
// whether it needs a restart to take all of it up: one of the changed
// settings is only read at server start (context 'postmaster'), or the
// server reports a pending restart. The pending restart outlives the
// provider: a change written and reloaded before a provider restart is
// found again here.
func (i *Instance) Reload(ctx context.Context, password string, changed []string) (bool, error) {
	c, err := i.ConnectAdmin(ctx, password)
	if err != nil {
		// A server that does not let the provider in yet, such as one
		// created before it served TLS, whose certificate and rules were
		// just written, is told to read them by a signal; the next
		// reconcile connects.
		if pgctl, berr := i.bin(ctx, "pg_ctl"); berr == nil {
			_ = i.run(ctx, pgctl, "reload", "-s", "-D", i.DataDir())
		}
		return false, err
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
		return false, errors.Wrap(err, errReload)
	}
	var restart bool
	err = c.QueryRow(ctx,
		"SELECT EXISTS (SELECT 1 FROM pg_settings WHERE pending_restart OR (context = 'postmaster' AND name = ANY($1)))",
		changed).Scan(&restart)
	return restart, errors.Wrap(err, errSettings)
}

// standbyLimits are the settings a hot standby must have at least as high
// as its primary, or it pauses replay until it is restarted with enough.
var standbyLimits = []string{"max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions", "max_locks_per_transaction"}

// LowersStandbyLimits reports whether the server's configuration files,
// once it restarts, lower one of the settings a hot standby needs at least
// as high as its primary's (max_connections and the like) below what the
// server runs with. Replicas of such a primary cannot restart first.
func (i *Instance) LowersStandbyLimits(ctx context.Context, password string) (bool, error) {
	c, err := i.ConnectAdmin(ctx, password)
	if err != nil {
		return false, err
	}
	defer c.Close(context.Background())
	// The last line of the files for a setting is the one that counts.
	var lowers bool
	err = c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_settings s
		CROSS JOIN LATERAL (SELECT f.setting FROM pg_file_settings f WHERE f.name = s.name ORDER BY f.seqno DESC LIMIT 1) f
		WHERE s.name = ANY($1) AND f.setting::numeric < s.setting::numeric)`, standbyLimits).Scan(&lowers)
	return lowers, errors.Wrap(err, errSettings)
}
