package hostnet

import (
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

// pidFileSuffix names the PID files a host's processes write below its
// directory: sshd.pid (PidFile of its sshd_config), watchdog.pid (the
// watchdog started detached) and postmaster.pid (PostgreSQL's, whose first
// line is the postmaster's PID).
const pidFileSuffix = ".pid"

// KillLeftBelow stops the processes of the hosts whose files are below dir
// that RemoveNamespace cannot find: those of a namespace already deleted.
// `ip netns del` only removes the namespace's name; its processes keep
// running in it, and nothing names it any more. So they are found by the
// PID files below dir instead: a PID file counts only when its process
// runs in a network namespace other than this process's own and names dir
// in its command line or working directory, so a PID the kernel gave to
// another process since is never taken for it. Every process of each such
// process's namespace is then killed, the sessions sshd forked and
// whatever they started (a server, a watchdog) with it, until none is left.
// The namespaces are held open meanwhile, so that the kernel cannot give
// their identity to another namespace while their processes are killed.
// Nothing below dir, or nothing running, is not an error.
func KillLeftBelow(ctx context.Context, dir string) error {
	dir = filepath.Clean(dir)
	held, err := namespacesOfPIDFiles(dir)
	defer func() {
		for _, f := range held {
			_ = f.Close()
		}
	}()
	if err != nil || len(held) == 0 {
		return err
	}
	ids := make([]fs.FileInfo, 0, len(held))
	for _, f := range held {
		fi, err := f.Stat()
		if err != nil {
			return errors.Wrap(err, "cannot read a held network namespace")
		}
		ids = append(ids, fi)
	}
	return killUntilNone(ctx, dir, func() ([]int, error) { return pidsIn(ids) })
}

// namespacesOfPIDFiles opens the network namespace of each process that a
// PID file below dir names and that is one of dir's (see KillLeftBelow),
// once per namespace.
func namespacesOfPIDFiles(dir string) ([]*os.File, error) {
	own, err := os.Stat("/proc/self/ns/net")
	if err != nil {
		return nil, errors.Wrap(err, "cannot read this process's network namespace")
	}
	var held []*os.File
	seen := []fs.FileInfo{own}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, walkErr error) error {
		if walkErr != nil {
			return nil //nolint:nilerr // A directory gone or unreadable while walking holds no PID file to find.
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(d.Name(), pidFileSuffix) {
			return nil
		}
		if f, fi := openNamespaceOf(p, dir); f != nil {
			if sameAsAny(fi, seen) {
				_ = f.Close()
				return nil
			}
			seen = append(seen, fi)
			held = append(held, f)
		}
		return nil
	})
	return held, errors.Wrapf(err, "cannot look for PID files below %s", dir)
}

// openNamespaceOf opens the network namespace of the process the PID file
// at path names, when that process is one of dir's; nil when it is not, or
// no longer runs.
func openNamespaceOf(path, dir string) (*os.File, fs.FileInfo) {
	pid, ok := readPIDFile(path)
	if !ok || !namesDir(pid, dir) {
		return nil, nil
	}
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "ns", "net"))
	if err != nil {
		return nil, nil
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, nil
	}
	return f, fi
}

// readPIDFile reads the PID on a PID file's first line.
func readPIDFile(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	return pid, err == nil && pid > 0
}

// namesDir reports whether process pid names dir, or a path below it, in
// its command line (sshd's -f, the watchdog's configuration, postgres's
// -D) or has its working directory there (postgres runs in its data
// directory).
func namesDir(pid int, dir string) bool {
	proc := filepath.Join("/proc", strconv.Itoa(pid))
	below := func(p string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }
	if cwd, err := os.Readlink(filepath.Join(proc, "cwd")); err == nil && below(cwd) {
		return true
	}
	b, err := os.ReadFile(filepath.Join(proc, "cmdline"))
	if err != nil {
		return false
	}
	// sshd rewrites its command line into one string with spaces.
	for _, arg := range strings.FieldsFunc(string(b), func(r rune) bool { return r == 0 || r == ' ' }) {
		if below(filepath.Clean(arg)) {
			return true
		}
	}
	return false
}

// sameAsAny reports whether fi is the same file as one of files.
func sameAsAny(fi fs.FileInfo, files []fs.FileInfo) bool {
	for _, o := range files {
		if os.SameFile(fi, o) {
			return true
		}
	}
	return false
}

// pidsIn lists the processes whose network namespace is one of ids.
func pidsIn(ids []fs.FileInfo) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, errors.Wrap(err, "cannot list processes")
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		fi, err := os.Stat(filepath.Join("/proc", e.Name(), "ns", "net"))
		if err != nil {
			continue
		}
		if sameAsAny(fi, ids) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// killUntilNone sends SIGKILL to every process list returns until it
// returns none (a process may fork while the others die), then waits until
// each is gone from the process table: a zombie's PID still looks alive,
// and a postmaster started later on the same data directory would take it
// for a server that runs. what names the processes in errors.
func killUntilNone(ctx context.Context, what string, list func() ([]int, error)) error {
	deadline := time.Now().Add(WaitDeadline)
	killed := map[int]string{}
	for {
		pids, err := list()
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			return errors.Wrapf(err, "processes %v of %s still run", pids, what)
		}
		if time.Now().After(deadline) {
			return errors.Errorf("processes %v of %s still run %s after SIGKILL", pids, what, WaitDeadline)
		}
		for _, pid := range pids {
			if st, ok := ReadStat(pid); ok {
				killed[pid] = st.Start
			}
			// ESRCH: the process ended since it was listed.
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				return errors.Wrapf(err, "cannot kill process %d of %s", pid, what)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	for pid, start := range killed {
		for {
			st, ok := ReadStat(pid)
			if !ok || st.Start != start {
				break
			}
			if time.Now().After(deadline) {
				return errors.Errorf("process %d of %s is still in the process table (state %s) %s after SIGKILL; "+
					"its parent does not reap it", pid, what, st.State, WaitDeadline)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}
