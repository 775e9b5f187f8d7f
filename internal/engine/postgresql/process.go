package postgresql

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errReadPID    = "cannot read the server's pid file"
	errProcess    = "cannot inspect process %d"
	errScan       = "cannot look for processes in the data directory"
	errSignalPID  = "cannot signal process %d"
	errStillAlive = "process %d is still running"

	// pidFileName is the pid file PostgreSQL leaves in its data directory.
	pidFileName = "postmaster.pid"
)

// The engine finds its processes on the member's machine through the
// executor: /proc of that machine, read with ReadFile (no command on this
// host) where a file read answers, and one small shell snippet for a scan of
// all processes.

// readPID returns the PID on the first line of a pid file, or 0 when the
// file does not exist or names no process (a torn one).
func (i *Instance) readPID(ctx context.Context, pidFile string) (int, error) {
	b, err := i.readFile(ctx, pidFile)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, errors.Wrap(err, errReadPID)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	if pid, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && pid > 0 {
		return pid, nil
	}
	// A torn pid file names no process.
	return 0, nil
}

// underDir reports whether p is dir or inside it.
func underDir(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

// belongsTo reports whether the live process pid runs for dir: its command
// line names dir (a postmaster, pg_ctl or initdb: -D dir) or its working
// directory is in dir (a backend). This guards against a pid file naming a
// PID that an unrelated process has taken since. A zombie has neither, so it
// never belongs. The command line is a file read; only a process whose
// command line does not name dir costs a command, to read its working
// directory.
func (i *Instance) belongsTo(ctx context.Context, pid int, dir string) (bool, error) {
	if pid <= 0 {
		return false, nil
	}
	proc := "/proc/" + strconv.Itoa(pid)
	cmd, err := i.readFile(ctx, proc+"/cmdline")
	// A process that exits while its files are read is gone as well.
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return false, nil
	}
	if err != nil {
		return false, errors.Wrapf(err, errProcess, pid)
	}
	if len(cmd) == 0 {
		return false, nil
	}
	for _, arg := range strings.Split(string(cmd), "\x00") {
		if underDir(arg, dir) {
			return true, nil
		}
	}
	x, err := i.exec()
	if err != nil {
		return false, err
	}
	res, err := x.Run(ctx, "readlink "+executor.ShellQuote(proc+"/cwd"), nil)
	if err != nil {
		return false, errors.Wrapf(err, errProcess, pid)
	}
	return res.ExitCode == 0 && underDir(strings.TrimSuffix(res.Stdout, "\n"), dir), nil
}

// processesIn returns the live processes that run in or for dir (see
// belongsTo), sorted: for a data directory, a postmaster that has not
// written its pid file yet, a pg_ctl or initdb at work on it, or the
// backends of a postmaster that died. One command lists the working
// directories of all processes and the command lines that name dir; the
// snippet's own processes work in / and name dir only inside a pattern.
func (i *Instance) processesIn(ctx context.Context, dir string) ([]int, error) {
	pattern := "^" + breQuote(dir) + `\(/.*\)\{0,1\}$`
	script := "cd / && find /proc/[0-9]*/cwd -maxdepth 0 -printf 'cwd %h %l\\n' 2>/dev/null; " +
		"grep -lsz -e " + executor.ShellQuote(pattern) + " /proc/[0-9]*/cmdline; exit 0"
	res, err := i.shell(ctx, errScan, script)
	if err != nil {
		return nil, err
	}
	seen := map[int]bool{}
	for _, l := range strings.FieldsFunc(res.Stdout, func(r rune) bool { return r == '\n' || r == 0 }) {
		var p string
		if rest, ok := strings.CutPrefix(l, "cwd "); ok {
			proc, target, _ := strings.Cut(rest, " ")
			if !underDir(target, dir) {
				continue
			}
			p = proc
		} else {
			p = strings.TrimSuffix(l, "/cmdline")
		}
		pid, err := strconv.Atoi(strings.TrimPrefix(p, "/proc/"))
		if err != nil {
			continue
		}
		seen[pid] = true
	}
	pids := make([]int, 0, len(seen))
	for pid := range seen {
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	return pids, nil
}

// breQuote escapes s for a POSIX basic regular expression.
func breQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.[]*^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// signal sends sig (a name such as INT) to pid; a process that is gone
// already is no error.
func (i *Instance) signal(ctx context.Context, pid int, sig string) error {
	script := executor.ShellCommand("kill", "-"+sig, strconv.Itoa(pid)) + " 2>/dev/null || ! " + executor.ShellCommand("test", "-e", "/proc/"+strconv.Itoa(pid))
	_, err := i.shell(ctx, fmt.Sprintf(errSignalPID, pid), script)
	return err
}

// stopProcess stops the process pid if it is alive and belongs to dir: first
// SIGINT (a fast shutdown for PostgreSQL), then SIGKILL when it has not gone
// after timeout.
func (i *Instance) stopProcess(ctx context.Context, pid int, dir string, timeout time.Duration) error {
	if ok, err := i.belongsTo(ctx, pid, dir); err != nil || !ok {
		return err
	}
	if err := i.signal(ctx, pid, "INT"); err != nil {
		return err
	}
	if gone, err := i.waitGone(ctx, pid, dir, timeout); err != nil || gone {
		return err
	}
	if err := i.signal(ctx, pid, "KILL"); err != nil {
		return err
	}
	if gone, err := i.waitGone(ctx, pid, dir, 5*time.Second); err != nil || gone {
		return err
	}
	return errors.Errorf(errStillAlive, pid)
}

// waitGone waits until pid no longer runs for dir, and reports whether it
// went within timeout.
func (i *Instance) waitGone(ctx context.Context, pid int, dir string, timeout time.Duration) (bool, error) {
	deadline := time.Now().Add(timeout)
	for {
		alive, err := i.belongsTo(ctx, pid, dir)
		if err != nil || !alive {
			return !alive, err
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, errors.Wrapf(ctx.Err(), errStillAlive, pid)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// pidFile is the server's pid file.
func (i *Instance) pidFile() string { return filepath.Join(i.DataDir(), pidFileName) }
