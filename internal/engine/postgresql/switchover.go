package postgresql

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
)

const (
	errControlData = "cannot read the data directory's control file"
	errNoCheckpt   = "pg_controldata reports no latest checkpoint location"
	errCatchUp     = "replica did not replay up to %s within %s"
	errPromote     = "cannot promote replica"
	errNotPromoted = "replica was not promoted within %s"
	errRewind      = "cannot rewind the former primary"
	errAdminPass   = "cannot write the rewind role's password file for pg_rewind"
	errSlots       = "cannot remove the former primary's slots"

	promoteWait   = 60
	rewindPass    = "rewind.pgpass"
	replSlotDir   = "pg_replslot"
	checkpointKey = "Latest checkpoint location:"
)

// CheckpointLSN returns the latest checkpoint location of a stopped
// server: after a clean shutdown, its shutdown checkpoint, the last record
// it wrote.
func (i *Instance) CheckpointLSN(ctx context.Context) (string, error) {
	bin, err := i.bin(ctx, "pg_controldata")
	if err != nil {
		return "", err
	}
	out, err := i.output(ctx, bin, "-D", i.DataDir())
	if err != nil {
		return "", errors.Wrap(err, errControlData)
	}
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, checkpointKey); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", errors.New(errNoCheckpt)
}

// WaitReplayed waits until a replica replayed past lsn.
func (i *Instance) WaitReplayed(ctx context.Context, adminPassword, lsn string, timeout time.Duration) error {
	c, err := i.ConnectAdmin(ctx, adminPassword)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	deadline := time.Now().Add(timeout)
	for {
		var done bool
		if err := c.QueryRow(ctx, "SELECT COALESCE(pg_last_wal_replay_lsn() > $1::pg_lsn, false)", lsn).Scan(&done); err != nil {
			return errors.Wrap(err, errQuery)
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.Errorf(errCatchUp, lsn, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Promote makes a running replica the primary and waits until it takes
// writes. PostgreSQL removes standby.signal as it promotes. With reload it
// first has the replica read its configuration files, which the caller
// wrote for the primary it becomes. Only then: the postmaster takes up
// the reload (configuration, pg_hba.conf, the TLS context) before it
// passes the promotion on, which cost a failover ~0.6 s on a loaded
// machine (BenchmarkFailover/async) for files that had not changed.
func (i *Instance) Promote(ctx context.Context, adminPassword string, reload bool) error {
	c, err := i.ConnectAdmin(ctx, adminPassword)
	if err != nil {
		return errors.Wrap(err, errPromote)
	}
	defer c.Close(context.Background())
	var recovering bool
	if err := c.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&recovering); err != nil {
		return errors.Wrap(err, errPromote)
	}
	if recovering {
		// Settings written for the primary (synchronous_standby_names)
		// take effect before it leaves recovery, so that it never
		// acknowledges a commit that its replicas do not have.
		if reload {
			if _, err := c.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
				return errors.Wrap(err, errPromote)
			}
		}
		var ok bool
		if err := c.QueryRow(ctx, "SELECT pg_promote(true, $1)", promoteWait).Scan(&ok); err != nil {
			return errors.Wrap(err, errPromote)
		}
		if !ok {
			return errors.Errorf(errNotPromoted, strconv.Itoa(promoteWait)+"s")
		}
	}
	// A self-fencing watchdog that fenced this member, or the member it
	// was rewound from, left default_transaction_read_only on in
	// postgresql.auto.conf (pg_rewind copies that file): a primary takes
	// writes again only without it.
	if _, err := c.Exec(ctx, "ALTER SYSTEM RESET default_transaction_read_only"); err != nil {
		return errors.Wrap(err, errPromote)
	}
	_, err = c.Exec(ctx, "SELECT pg_reload_conf()")
	return errors.Wrap(err, errPromote)
}

// Rejoin turns a former primary into a replica of source, which it reaches
// at source's Host and Port, and lifts its fence: it stops it, has
// pg_rewind undo whatever it wrote after source took over (nothing, after a
// clean switchover), removes the slots it kept as a primary and marks it a
// standby.
//
// pg_rewind runs here, on the rejoining member, and reads source's files
// over libpq: it logs in as the rewind role (pgroles.Rewind), which is no
// superuser and may only execute the four file functions PostgreSQL
// documents for pg_rewind, with TLS, from the peers only (see renderHBA).
// Running pg_rewind on source's machine instead, over its socket, would
// need the target's data directory there; so the login crosses the
// network, but as a role that can read files and do nothing else. Its
// password, derived from adminPassword, reaches pg_rewind through a
// password file of mode 0600 that is removed right after.
func (i *Instance) Rejoin(ctx context.Context, source *Instance, adminPassword string) error {
	rewind, err := i.bin(ctx, "pg_rewind")
	if err != nil {
		return err
	}
	if err := i.Stop(ctx); err != nil {
		return err
	}
	if err := i.clearStalePID(ctx); err != nil {
		return err
	}
	// pg_rewind reads the source's timeline from its control file, which a
	// just-promoted server updates with its next checkpoint only.
	sc, err := source.ConnectAdmin(ctx, adminPassword)
	if err != nil {
		return errors.Wrap(err, errRewind)
	}
	_, err = sc.Exec(ctx, "CHECKPOINT")
	_ = sc.Close(ctx)
	if err != nil {
		return errors.Wrap(err, errRewind)
	}
	pass := filepath.Join(i.Dir, rewindPass)
	esc := strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace
	if err := i.writeFile(ctx, pass, []byte("*:*:*:"+esc(pgroles.Rewind)+":"+esc(pgroles.Password(adminPassword, pgroles.Rewind))+"\n"), 0o600); err != nil {
		return errors.Wrap(err, errAdminPass)
	}
	defer i.remove(context.WithoutCancel(ctx), errAdminPass, pass) //nolint:errcheck // Best effort; removed below on success.
	kv := []string{
		"host=" + connInfoValue(source.host()), "port=" + connInfoValue(strconv.Itoa(int(source.Port))),
		"user=" + connInfoValue(pgroles.Rewind), "dbname=" + connInfoValue("postgres"),
		"passfile=" + connInfoValue(pass),
	}
	for _, p := range i.sslParams() {
		kv = append(kv, p[0]+"="+connInfoValue(p[1]))
	}
	src := strings.Join(kv, " ")
	// A fence's standby.signal would stop the single-user crash recovery
	// pg_rewind runs on a server that did not shut down cleanly; the fence
	// marker keeps Start away meanwhile.
	if err := i.remove(ctx, errRewind, filepath.Join(i.DataDir(), standbySignal)); err != nil {
		return err
	}
	if err := i.run(ctx, rewind, "--target-pgdata="+i.DataDir(), "--source-server="+src); err != nil {
		return &RewindError{err: errors.Wrap(err, errRewind)}
	}
	if err := i.remove(ctx, errAdminPass, pass); err != nil {
		return err
	}
	// A former primary's slots would keep WAL on it for replicas that now
	// stream from source. The glob is the shell's: slot names hold no
	// character it would interpret.
	slots := executor.ShellQuote(filepath.Join(i.DataDir(), replSlotDir)) + "/" + slotPrefix + "*"
	if _, err := i.shell(ctx, errSlots, "rm -rf -- "+slots); err != nil {
		return err
	}
	if err := i.markStandby(ctx); err != nil {
		return err
	}
	return i.unfence(ctx)
}

// A RewindError is pg_rewind failing on the former primary: its data
// directory cannot be brought back and is to be copied afresh.
type RewindError struct{ err error }

func (e *RewindError) Error() string { return e.err.Error() }
func (e *RewindError) Unwrap() error { return e.err }
