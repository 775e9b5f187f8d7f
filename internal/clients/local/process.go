package local

import (
	"bufio"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errReadPIDFile = "cannot read pid file"
	errSignal      = "cannot signal process"
	errStillAlive  = "process %d is still running"
	errWalk        = "cannot look for pid files"

	// PIDFileName is the pid file engines leave in their data directory;
	// PostgreSQL writes postmaster.pid.
	PIDFileName = "postmaster.pid"
)

// ReadPID returns the PID on the first line of a pid file, or 0 when the file
// does not exist.
func ReadPID(pidFile string) (int, error) {
	f, err := os.Open(pidFile)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, errors.Wrap(err, errReadPIDFile)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	if !s.Scan() {
		return 0, nil
	}
	pid, err := strconv.Atoi(strings.TrimSpace(s.Text()))
	if err != nil || pid <= 0 {
		// A torn pid file names no process.
		return 0, nil
	}
	return pid, nil
}

// Alive reports whether a process with pid exists (and is not a zombie).
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses, which may itself
	// hold spaces or parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// BelongsTo reports whether the process pid runs in or for dir: its working
// directory or its command line names dir. This guards against a pid file
// naming a PID that has since been reused by an unrelated process.
func BelongsTo(pid int, dir string) bool {
	proc := filepath.Join("/proc", strconv.Itoa(pid))
	if cwd, err := os.Readlink(filepath.Join(proc, "cwd")); err == nil && (cwd == dir || strings.HasPrefix(cwd, dir+"/")) {
		return true
	}
	cmd, err := os.ReadFile(filepath.Join(proc, "cmdline"))
	if err != nil {
		return false
	}
	for _, arg := range strings.Split(string(cmd), "\x00") {
		if arg == dir || strings.HasPrefix(arg, dir+"/") {
			return true
		}
	}
	return false
}

// ProcessesIn returns the live processes that run in or for dir (see
// BelongsTo), in the order /proc lists them: for a data directory, a
// postmaster that has not written its pid file yet, a pg_ctl or initdb at
// work on it, or the backends of a postmaster that died.
func ProcessesIn(dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if Alive(pid) && BelongsTo(pid, dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// StopPID stops the process pid if it is alive and belongs to dir: first
// SIGINT (a fast shutdown for PostgreSQL), then SIGKILL when it has not gone
// after timeout.
func StopPID(ctx context.Context, pid int, dir string, timeout time.Duration) error {
	if !Alive(pid) || !BelongsTo(pid, dir) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return errors.Wrap(err, errSignal)
	}
	if waitGone(ctx, pid, timeout) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return errors.Wrap(err, errSignal)
	}
	if waitGone(ctx, pid, 5*time.Second) {
		return nil
	}
	return errors.Errorf(errStillAlive, pid)
}

func waitGone(ctx context.Context, pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !Alive(pid) {
			return true
		}
		select {
		case <-ctx.Done():
			return !Alive(pid)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return !Alive(pid)
}

// StopAll stops every engine process that a pid file below dir names and
// that really runs for the directory holding that pid file.
func StopAll(ctx context.Context, dir string) error {
	var pidFiles []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == PIDFileName {
			pidFiles = append(pidFiles, path)
		}
		return nil
	})
	if err != nil {
		return errors.Wrap(err, errWalk)
	}
	for _, f := range pidFiles {
		pid, err := ReadPID(f)
		if err != nil {
			return err
		}
		if err := StopPID(ctx, pid, filepath.Dir(f), 30*time.Second); err != nil {
			return err
		}
	}
	return nil
}
