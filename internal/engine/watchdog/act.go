package watchdog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/runas"
)

const (
	errReadOnly    = "cannot make the server read-only"
	errTerminate   = "cannot end the client sessions"
	errWriteMarker = "cannot write the fence marker"
	errStandby     = "cannot write standby.signal"
	errPGCtlStop   = "pg_ctl stop failed: %s"

	// standbySignal makes a server started by hand come up as a standby,
	// read-only, as the engine's own fence does.
	standbySignal = "standby.signal"
	// recoverySignal marks a server that starts to recover (a restore),
	// not to take writes.
	recoverySignal = "recovery.signal"
	// postmasterPID is the server's own PID file in its data directory.
	postmasterPID = "postmaster.pid"

	// stopTimeout is pg_ctl's wait for the server to stop.
	stopTimeout = 60 * time.Second

	readOnly  = "ALTER SYSTEM SET default_transaction_read_only = on"
	reload    = "SELECT pg_reload_conf()"
	terminate = `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`

	// defaultPath is pg_ctl's PATH.
	defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// stopWrites fences an isolated primary. New transactions default to
// read-only and open sessions are ended, so that the moment until the
// server is down takes no more writes from sessions that were open (a
// client could still ask for a read-write transaction, which is why the
// server is stopped next). Then the fence marker and standby.signal are
// written, so that neither the provider nor a start by hand brings the
// member back as a writable primary, and the server is stopped. Every
// step runs even when one before failed: stopping the server matters
// most, and the errors are reported together.
func stopWrites(ctx context.Context, c Config, conn *pgx.Conn) error {
	var errs []error
	if conn != nil {
		for _, s := range []struct{ sql, err string }{{readOnly, errReadOnly}, {reload, errReadOnly}, {terminate, errTerminate}} {
			if _, err := conn.Exec(ctx, s.sql); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", s.err, err))
			}
		}
	}
	if err := writeMarker(c.FenceFile, c.Epoch); err != nil {
		errs = append(errs, err)
	}
	if err := stopServer(c); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// stopServer marks the data directory a standby and stops the server with
// a fast shutdown: sessions are ended and transactions in flight rolled
// back.
func stopServer(c Config) error {
	var errs []error
	if err := writeStandbySignal(c.DataDir); err != nil {
		errs = append(errs, err)
	}
	if err := pgCtlStop(c); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// writeMarker writes the fence marker in the engine's format, the epoch on
// one line, unless there is one: a fenced member keeps its first epoch.
func writeMarker(path string, epoch int64) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatInt(epoch, 10)+"\n"), 0o644); err != nil {
		return fmt.Errorf(errWriteMarker+": %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf(errWriteMarker+": %w", err)
	}
	return nil
}

// writeStandbySignal creates standby.signal in dataDir unless it is there.
func writeStandbySignal(dataDir string) error {
	p := filepath.Join(dataDir, standbySignal)
	if _, err := os.Stat(p); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf(errStandby+": %w", err)
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf(errStandby+": %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf(errStandby+": %w", err)
	}
	return nil
}

// pgCtlStop runs pg_ctl stop -m fast and waits for the server to go, for
// at most pg_ctl's own timeout. A server that is not running is fine.
func pgCtlStop(c Config) error {
	args := []string{"stop", "-m", "fast", "-w", "-t", strconv.Itoa(int(stopTimeout / time.Second)), "-s", "-D", c.DataDir}
	cmd, err := asUser(c.OSUser, c.PGCtl, args...)
	if err != nil {
		return err
	}
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	// pg_ctl fails when the server is already down; so much the better.
	if _, serr := os.Stat(filepath.Join(c.DataDir, postmasterPID)); errors.Is(serr, fs.ErrNotExist) {
		return nil
	}
	return fmt.Errorf(errPGCtlStop+": %w", strings.TrimSpace(string(out)), err)
}

// asUser prepares bin to run as osUser when the watchdog runs as root
// (PostgreSQL's programs refuse to run as root), from /, with PATH and the
// C locale as its whole environment.
func asUser(osUser, bin string, args ...string) (*exec.Cmd, error) {
	var cmd *exec.Cmd
	if osUser == "" {
		cmd = exec.Command(bin, args...)
	} else {
		var err error
		if cmd, err = runas.User(osUser).Command(bin, args...); err != nil {
			return nil, err
		}
	}
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=" + defaultPath, "LC_ALL=C"}
	return cmd, nil
}
