package watchdog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	errConnect = "cannot connect to the member's server"
	errRole    = "cannot read the member's role and its replicas"

	// connectTimeout bounds a connection to the member's own server,
	// which is local: a server that does not answer in this time is
	// counted as not reachable.
	connectTimeout = 5 * time.Second

	// roleQuery reads the role, the replicas that stream and replied
	// within the last $1 seconds, and the latest reply of any replica
	// that streams. A sender whose replica was cut off shows state
	// streaming until wal_sender_timeout (a minute by default) ends it, so
	// the state alone would keep an isolated primary taking writes that
	// long: only a reply counts, at its own time.
	roleQuery = `SELECT NOT pg_is_in_recovery(),
		(SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND reply_time > now() - make_interval(secs => $1))::int,
		(SELECT max(reply_time) FROM pg_stat_replication WHERE state = 'streaming')`
)

// A look is what one look at the member found.
type look struct {
	// at is the time of the look, taken once connected: the later, the
	// sooner an isolated primary is found out.
	at time.Time
	// err says why the server did not answer.
	err error
	// primary is true for a server that answered and is not in
	// recovery.
	primary bool
	// streaming is how many replicas stream from it and replied within
	// fenceAfter.
	streaming int
	// replied is the latest reply of a replica that streams from it;
	// zero when none does.
	replied time.Time
	// heartbeat is the heartbeat file's modification time; zero when
	// there is no file.
	heartbeat time.Time
	// fenced is true when the fence marker exists.
	fenced bool
	// mayBePrimary is true, for a server that did not answer, when a
	// postmaster runs on the data directory and the directory is marked
	// no standby (see serverRunsAsNoStandby).
	mayBePrimary bool
}

// connect opens a connection to the member's server. Errors hold no
// password: pgx names host, user and database only.
func connect(ctx context.Context, c Config) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(c.connString())
	if err != nil {
		return nil, fmt.Errorf(errConnect+": %w", err)
	}
	if cfg.Password, err = c.password(); err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf(errConnect+": %w", err)
	}
	return conn, nil
}

// observe looks at the member: its role and replicas through conn (nil
// when the server did not answer), the heartbeat and the fence marker.
func observe(ctx context.Context, c Config, conn *pgx.Conn, connErr error) look {
	l := look{at: time.Now(), err: connErr, heartbeat: heartbeat(c.HeartbeatFile), fenced: fenced(c.FenceFile)}
	if conn == nil {
		l.mayBePrimary = serverRunsAsNoStandby(c.DataDir)
		return l
	}
	var replied *time.Time
	if err := conn.QueryRow(ctx, roleQuery, c.FenceAfter.Seconds()).Scan(&l.primary, &l.streaming, &replied); err != nil {
		l.primary, l.streaming, l.err = false, 0, fmt.Errorf(errRole+": %w", err)
		l.mayBePrimary = serverRunsAsNoStandby(c.DataDir)
		return l
	}
	if replied != nil {
		l.replied = *replied
	}
	return l
}

// heartbeat returns the heartbeat file's modification time, or zero when
// it cannot be read: no heartbeat.
func heartbeat(path string) time.Time {
	st, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return st.ModTime()
}

// fenced reports whether the fence marker exists; a marker that cannot be
// looked at counts as one, as the engine counts it.
func fenced(path string) bool {
	_, err := os.Stat(path)
	return err == nil || !errors.Is(err, fs.ErrNotExist)
}

// serverRunsAsNoStandby reports whether a postmaster runs on dataDir and
// the directory holds neither standby.signal nor recovery.signal: a
// server that, answering or not, may be a primary. The postmaster is the
// PID on postmaster.pid's first line, alive and working in dataDir (a
// postmaster changes to its data directory, so a PID reused since a crash
// by another process is not taken for it); when its working directory
// cannot be read, alive is enough.
func serverRunsAsNoStandby(dataDir string) bool {
	for _, signal := range []string{standbySignal, recoverySignal} {
		if _, err := os.Stat(filepath.Join(dataDir, signal)); err == nil {
			return false
		}
	}
	b, err := os.ReadFile(filepath.Join(dataDir, postmasterPID))
	if err != nil {
		return false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	cwd, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "cwd"))
	if err != nil {
		return true
	}
	want, err := filepath.EvalSymlinks(dataDir)
	if err != nil {
		want = dataDir
	}
	return filepath.Clean(cwd) == filepath.Clean(want)
}
