package postgresql

import (
	"bytes"
	"context"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/scram"
)

const (
	errRecoveryStart  = "cannot start the restored server to replay WAL"
	errRecoveryState  = "cannot tell how far the restored server is"
	errRecoveryFinish = "cannot make the restored server the instance's own"

	recoverySignal = "recovery.signal"
	autoConfFile   = "postgresql.auto.conf"
	optsFile       = "postmaster.opts"

	// noArchiving is the option a restored server replays with: whatever
	// its configuration files say, it archives nothing while it replays
	// and promotes. The files it came with are its source's, and a
	// promotion archives the new timeline's history file: into the
	// source's stanza, that would make every later restore of the source
	// follow this instance's timeline.
	noArchiving = "archive_mode=off"

	// recoveryLogBytes bounds what is read of the server's log to tell why
	// a restored server stopped.
	recoveryLogBytes = 1 << 20
)

// Phases of a restored server, from its data directory's restore to its
// being the instance's own server.
const (
	// RecoveryStopped: the restored server does not run and did not give
	// up on its target; it is (re)started to replay.
	RecoveryStopped = "Stopped"
	// RecoveryReplaying: it replays the archived WAL towards the target.
	RecoveryReplaying = "Replaying"
	// RecoveryPromoted: it reached the target and promoted, but still
	// carries its source's admin password and pgBackRest's recovery
	// settings, and runs without archiving: FinishRecovery is next.
	RecoveryPromoted = "Promoted"
	// RecoveryDone: the server is the instance's own.
	RecoveryDone = "Done"
	// RecoveryUnreachable: PostgreSQL ended recovery before the target,
	// or refused it, and stopped.
	RecoveryUnreachable = "Unreachable"
)

// recoverySettings are what pgBackRest's restore writes into
// postgresql.auto.conf, and the archiving settings a superuser of the
// source may have set there with ALTER SYSTEM (postgresql.auto.conf is read
// after the provider's file and would win over it). FinishRecovery resets
// them all.
var recoverySettings = []string{
	"restore_command", "recovery_end_command", "recovery_target", "recovery_target_action",
	"recovery_target_inclusive", "recovery_target_lsn", "recovery_target_name",
	"recovery_target_time", "recovery_target_timeline", "recovery_target_xid",
	"archive_mode", "archive_command", "archive_library",
}

// Recovery is where a restored server is.
type Recovery struct {
	// Phase is one of the Recovery* phases.
	Phase string
	// Message is, for a server that stopped, the lines its log gave as
	// the cause, in PostgreSQL's words.
	Message string
}

// StartRecovery starts a restored server without waiting for it to take
// connections: it replays the archived WAL first, for as long as that
// takes, which RecoveryStatus follows. It replays without archiving
// (noArchiving). Configure the instance first, so that it listens on its
// own port with its own certificate and pg_hba.conf.
func (i *Instance) StartRecovery(ctx context.Context) error {
	if running, err := i.Running(ctx); err != nil || running {
		return errors.Wrap(err, errRecoveryStart)
	}
	pgctl, err := i.bin(ctx, "pg_ctl")
	if err != nil {
		return err
	}
	if err := i.clearStalePID(ctx); err != nil {
		return err
	}
	if err := i.linkSocketDir(ctx); err != nil {
		return err
	}
	from := i.logSize(ctx)
	if err := i.run(ctx, pgctl, "start", "-W", "-s", "-D", i.DataDir(), "-l", i.LogFile(), "-o", "-c "+noArchiving); err != nil {
		return i.startError(ctx, errors.Wrap(err, errRecoveryStart), from)
	}
	// pg_ctl returned once it forked the server; it runs as soon as it
	// wrote its pid file, which the next look should find rather than a
	// server that seems not to run and is started again.
	_, err = i.waitIdle(ctx, true)
	return errors.Wrap(err, errRecoveryStart)
}

// RecoveryStatus reports where the restored server is. It reads files,
// and asks the server over its unix socket, as the engine user, whether it
// still recovers: the admin password it has is its source's.
func (i *Instance) RecoveryStatus(ctx context.Context) (Recovery, error) {
	running, err := i.Running(ctx)
	if err != nil {
		return Recovery{}, errors.Wrap(err, errRecoveryState)
	}
	signal, err := i.fileExists(ctx, filepath.Join(i.DataDir(), recoverySignal))
	if err != nil {
		return Recovery{}, errors.Wrap(err, errRecoveryState)
	}
	auto, err := i.readFile(ctx, filepath.Join(i.DataDir(), autoConfFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Recovery{}, errors.Wrap(err, errRecoveryState)
	}
	pending := signal || setsRestoreCommand(string(auto))
	if !running {
		if !pending {
			return Recovery{Phase: RecoveryDone}, nil
		}
		return i.stoppedRecovery(ctx), nil
	}
	opts, err := i.readFile(ctx, filepath.Join(i.DataDir(), optsFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Recovery{}, errors.Wrap(err, errRecoveryState)
	}
	if !pending && !bytes.Contains(opts, []byte(noArchiving)) {
		return Recovery{Phase: RecoveryDone}, nil
	}
	if signal {
		return Recovery{Phase: RecoveryReplaying}, nil
	}
	// The signal file goes at the end of recovery, a moment before the
	// server takes writes; until it answers that it does, it replays.
	if in, err := i.inRecovery(ctx); err != nil || in {
		return Recovery{Phase: RecoveryReplaying}, nil //nolint:nilerr // A server that does not answer yet is still starting.
	}
	return Recovery{Phase: RecoveryPromoted}, nil
}

// setsRestoreCommand reports whether postgresql.auto.conf sets
// restore_command, as pgBackRest's restore leaves it.
func setsRestoreCommand(auto string) bool {
	for _, l := range strings.Split(auto, "\n") {
		if name, _, ok := strings.Cut(strings.TrimSpace(l), "="); ok && strings.TrimSpace(name) == "restore_command" {
			return true
		}
	}
	return false
}

// stoppedRecovery tells from the server's log whether a restored server
// that does not run gave up on its target.
func (i *Instance) stoppedRecovery(ctx context.Context) Recovery {
	res, err := i.shell(ctx, errLogRead, executor.ShellCommand("tail", "-c", strconv.Itoa(recoveryLogBytes), "--", i.LogFile()))
	if err != nil {
		return Recovery{Phase: RecoveryStopped}
	}
	return recoveryFromLog(res.Stdout)
}

// recoveryFromLog reads the log of a restored server that stopped. PG 15
// ends recovery with "FATAL: recovery ended before configured recovery
// target was reached" when the archived WAL ends first, and with
// "FATAL: requested recovery stop point is before consistent recovery
// point" for a target inside the backup.
func recoveryFromLog(log string) Recovery {
	why := loggedCauses(log)
	for _, l := range why {
		if strings.Contains(l, "recovery target") || strings.Contains(l, "recovery stop point") {
			return Recovery{Phase: RecoveryUnreachable, Message: strings.Join(why, "; ")}
		}
	}
	return Recovery{Phase: RecoveryStopped, Message: strings.Join(why, "; ")}
}

// inRecovery asks the server over its unix socket, as the engine user
// (peer authentication), whether it still recovers.
func (i *Instance) inRecovery(ctx context.Context) (bool, error) {
	out, err := i.psql(ctx, "SELECT pg_is_in_recovery()")
	return strings.TrimSpace(out) == "t", err
}

// psql runs sql as the engine user's role over the unix socket, on
// standard input, stopping at the first error.
func (i *Instance) psql(ctx context.Context, sql string) (string, error) {
	psql, err := i.bin(ctx, "psql")
	if err != nil {
		return "", err
	}
	res, err := i.runAs(ctx, nil, strings.NewReader(sql), psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
		"-h", i.SocketDir(), "-p", strconv.Itoa(int(i.Port)), "-U", engineUser, "-d", "postgres")
	return res.Stdout, err
}

// FinishRecovery makes a promoted restored server the instance's own: its
// admin user (created when the source had another one) gets password, the
// recovery settings are reset, and the server restarts with its own
// configuration, archiving into its own stanza when it has one. It logs in
// over the unix socket as the engine user, since the admin password is
// still the source's; only the password's SCRAM verifier reaches the
// server, on standard input.
func (i *Instance) FinishRecovery(ctx context.Context, password string) error {
	verifier, err := scram.NewVerifier(password)
	if err != nil {
		return errors.Wrap(err, errRecoveryFinish)
	}
	if _, err := i.psql(ctx, finishSQL(i.AdminUser, verifier)); err != nil {
		return errors.Wrap(err, errRecoveryFinish)
	}
	return errors.Wrap(i.Restart(ctx), errRecoveryFinish)
}

// finishSQL is what FinishRecovery runs. ALTER SYSTEM cannot run in a
// transaction, so these are separate statements; \gexec runs the CREATE
// ROLE that the SELECT yields only when the role is missing.
func finishSQL(adminUser, verifier string) string {
	role := pgx.Identifier{adminUser}.Sanitize()
	var b strings.Builder
	b.WriteString("SELECT 'CREATE ROLE ' || quote_ident(" + literal(adminUser) + ") || ' WITH LOGIN SUPERUSER' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = " + literal(adminUser) + ")\n\\gexec\n")
	// The verifier is base64, '$' and ':' only.
	b.WriteString("ALTER ROLE " + role + " PASSWORD '" + verifier + "';\n")
	for _, s := range recoverySettings {
		b.WriteString("ALTER SYSTEM RESET " + s + ";\n")
	}
	return b.String()
}

// literal quotes s as an SQL string literal (standard_conforming_strings,
// on since PostgreSQL 9.1: backslashes are plain characters).
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
