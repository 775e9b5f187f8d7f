package pgtest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/internal/pgserver"
)

// A process is what /proc says of one process.
type process struct {
	pid, ppid int
	args      []string
	cwd       string
}

// Servers returns the PIDs of the PostgreSQL servers (postmasters) running
// on dataDir, in ascending order.
//
// A server is a postgres process whose command line names dataDir and whose
// parent is not itself a postgres process of dataDir. The parent matters: a
// backend the postmaster has just forked keeps the postmaster's command line
// until it sets its own title, which it does only once it has read the
// client's startup packet, so every connection being opened (the provider's
// health checks, a replica's WAL receiver) looks like a second server to a
// count of command lines alone, the more so on a loaded machine.
func Servers(t testing.TB, dataDir string) []int {
	t.Helper()
	procs, err := postgresProcesses(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, p := range procs {
		if !namesDataDir(p.args, dataDir) {
			continue // A child that has set its title, such as "postgres: checkpointer".
		}
		if _, child := procs[p.ppid]; child {
			continue
		}
		pids = append(pids, p.pid)
	}
	sort.Ints(pids)
	return pids
}

// OneServer returns the PID of the one server running on dataDir. It fails
// the test unless exactly one runs and the data directory's postmaster.pid
// names it, saying what runs there: two postmasters on one data directory
// would be a double start, the worst a provider can do to a database.
func OneServer(t testing.TB, dataDir string) int {
	t.Helper()
	pids := Servers(t, dataDir)
	locked, lockErr := pgserver.PostmasterPID(dataDir)
	if len(pids) == 1 && lockErr == nil && locked == pids[0] {
		return pids[0]
	}
	t.Fatalf("want exactly one postgres server on %s, named by its %s; got servers %v, %s names %d (%v); its processes:\n%s",
		dataDir, pgserver.PostmasterPIDFile, pids, pgserver.PostmasterPIDFile, locked, lockErr, Describe(dataDir))
	return 0
}

// Describe lists every postgres process of dataDir, one a line with its PID,
// parent PID and command line, for a failure message.
func Describe(dataDir string) string {
	procs, err := postgresProcesses(dataDir)
	if err != nil {
		return err.Error()
	}
	pids := make([]int, 0, len(procs))
	for pid := range procs {
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	var b strings.Builder
	for _, pid := range pids {
		p := procs[pid]
		fmt.Fprintf(&b, "  pid %d ppid %d: %s\n", p.pid, p.ppid, strings.Join(p.args, " "))
	}
	return b.String()
}

// postgresProcesses returns the processes running a postgres binary for
// dataDir, by PID: those whose command line names it and those whose working
// directory is it (a postmaster and its children work in the data
// directory).
func postgresProcesses(dataDir string) (map[int]process, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	out := map[int]process{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p, ok := readProcess(pid)
		if !ok || !isPostgres(p) {
			continue
		}
		if p.cwd == dataDir || namesDataDir(p.args, dataDir) {
			out[pid] = p
		}
	}
	return out, nil
}

// readProcess reads what a process is; false when it has gone, or is a
// zombie (whose command line is empty).
func readProcess(pid int) (process, bool) {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	b, err := os.ReadFile(filepath.Join(dir, "cmdline"))
	if err != nil || len(b) == 0 {
		return process{}, false
	}
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return process{}, false
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces or parentheses itself: state, then the parent's PID.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return process{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 || f[0] == "Z" {
		return process{}, false
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return process{}, false
	}
	cwd, _ := os.Readlink(filepath.Join(dir, "cwd"))
	return process{
		pid:  pid,
		ppid: ppid,
		args: strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"),
		cwd:  cwd,
	}, true
}

// isPostgres reports whether p runs the postgres binary: its first argument
// before it sets a title, "postgres: ..." after.
func isPostgres(p process) bool {
	a := p.args[0]
	return filepath.Base(a) == "postgres" || strings.HasPrefix(a, "postgres:")
}

// namesDataDir reports whether args give dataDir as the data directory, in
// any of the forms postgres accepts (-D dir, -Ddir, --pgdata=dir, or as
// pg_ctl passes it).
func namesDataDir(args []string, dataDir string) bool {
	for i, a := range args {
		switch {
		case (a == "-D" || a == "--pgdata") && i+1 < len(args) && args[i+1] == dataDir:
			return true
		case a == "-D"+dataDir, a == "--pgdata="+dataDir:
			return true
		}
	}
	return false
}
