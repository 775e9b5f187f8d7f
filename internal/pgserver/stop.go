package pgserver

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// PostmasterPIDFile is the lock file a server writes into its data
// directory; its first line is the server's PID.
const PostmasterPIDFile = "postmaster.pid"

// stopWait bounds how long Stop waits for the postmaster to exit after
// pg_ctl stop has returned.
const stopWait = time.Minute

// PostmasterPID is the PID on the first line of dataDir's postmaster.pid.
func PostmasterPID(dataDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, PostmasterPIDFile))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(first))
}

// Stop stops the server on dataDir, ending its connections. pg_ctl signals
// the PID in postmaster.pid, never a process found by name. Stop returns
// once the postmaster's process has gone: pg_ctl stop returns when the pid
// file has gone, which the postmaster removes just before it exits.
func Stop(dataDir string) error {
	pid, _ := PostmasterPID(dataDir)
	if out, err := run(filepath.Join(BinDir, "pg_ctl"), "-D", dataDir, "-m", "fast", "-w", "stop"); err != nil {
		return errors.Wrapf(err, "cannot stop PostgreSQL: %s", out)
	}
	if pid <= 0 {
		return nil
	}
	deadline := time.Now().Add(stopWait)
	for Running(pid) {
		if time.Now().After(deadline) {
			return errors.Errorf("the postmaster %d still runs %s after pg_ctl stop returned", pid, stopWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// Running reports whether a process runs: it exists and is not a zombie.
func Running(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses and may
	// hold spaces or parentheses itself.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return false
	}
	f := strings.Fields(s[i+1:])
	return len(f) > 0 && f[0] != "Z"
}

// StopLeftover stops a server still running on dataDir, as one left by a
// process that was killed rather than stopped would be. It stops it only
// when the PID in postmaster.pid is a running process that works in
// dataDir, as a postmaster does, so that a PID the system has since given
// to another process is never signalled.
func StopLeftover(dataDir string) error {
	pid, err := PostmasterPID(dataDir)
	if err != nil || !Running(pid) {
		return nil //nolint:nilerr // No pid file, or no process: nothing runs there.
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return errors.Wrap(err, "cannot resolve the data directory")
	}
	if cwd, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "cwd")); err != nil || cwd != abs {
		return nil //nolint:nilerr // The PID is another process's now.
	}
	return Stop(dataDir)
}
