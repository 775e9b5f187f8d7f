package install_test

import (
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
	"github.com/dbaas-io/dbaas/internal/engine/watchdog"
	"github.com/dbaas-io/dbaas/internal/engine/watchdog/install"
	"github.com/dbaas-io/dbaas/internal/ports"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

const (
	// deadline bounds every wait by condition: generous, since the machine
	// is shared and loaded; it is not an expectation.
	deadline = 90 * time.Second

	// pgBin holds the server programs of PostgreSQL 15.
	pgBin = "/usr/lib/postgresql/15/bin"
)

// buildWatchdog builds dbaas-watchdog into dir, where the postgres user
// may run it.
func buildWatchdog(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "dbaas-watchdog")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/dbaas-watchdog")
	cmd.Dir = testenv.RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/dbaas-watchdog: %v: %s", err, out)
	}
	return bin
}

// cmdline is the command line of pid, one word a line; empty for a process
// that is gone or has exited.
func cmdline(pid int) string {
	b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return strings.ReplaceAll(string(b), "\x00", "\n")
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %s: %v", path, err)
	}
	return pid
}

// procField returns the value of a line of /proc/<pid>/status.
func procField(t *testing.T, pid int, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return strings.Fields(v)[0]
		}
	}
	t.Fatalf("no %s in /proc/%d/status", name, pid)
	return ""
}

// TestStartStep starts the real watchdog binary detached, as the play does
// on a machine without systemd, through the local executor and over SSH
// (whose server kills what a command leaves in its process group when the
// session ends), and checks that the step finds it running, starts it
// again when it died or runs with other flags, never takes another process
// for it, and that Stop stops it. The provider's heartbeat reaches it.
func TestStartStep(t *testing.T) {
	dir := testenv.SharedDir(t)
	bin := buildWatchdog(t, dir)
	srv := sshtest.Start(t)
	ssh, _, err := executor.DialSSH(context.Background(), executor.Config{Address: srv.Addr(), User: srv.User(), PrivateKeyPEM: srv.ClientKeyPEM()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ssh.Close() })
	for name, e := range map[string]executor.Executor{"Local": executor.Local{}, "SSH": ssh} {
		t.Run(name, func(t *testing.T) {
			sub := filepath.Join(dir, name)
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			testStartStep(t, e, bin, sub)
		})
	}
}

func testStartStep(t *testing.T, e executor.Executor, bin, dir string) {
	ctx := context.Background()
	pg, err := user.Lookup("postgres")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)

	// The watchdog looks at a server that does not run: nothing to fence.
	port, err := ports.Free()
	if err != nil {
		t.Fatal(err)
	}
	c := watchdog.Config{
		Host: "127.0.0.1", Port: port, User: "admin", SSLMode: "disable",
		DataDir: filepath.Join(dir, "data"), PGCtl: filepath.Join(pgBin, "pg_ctl"), OSUser: "postgres",
		HeartbeatFile: filepath.Join(dir, "heartbeat"), FenceFile: filepath.Join(dir, "dbaas.fenced"),
	}
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "watchdog.json")
	if err := os.WriteFile(cfg, b, watchdog.ConfigMode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(cfg, uid, gid); err != nil {
		t.Fatal(err)
	}
	p := watchdog.Process{
		Binary: bin, ConfigFile: cfg, OSUser: "postgres", Interval: 200 * time.Millisecond, FenceAfter: time.Second,
		PIDFile: filepath.Join(dir, "watchdog.pid"), LogFile: filepath.Join(dir, "watchdog.log"),
	}
	// Whatever the test started is stopped by its PID, also when it fails.
	var started []int
	t.Cleanup(func() {
		for _, pid := range started {
			if strings.HasPrefix(cmdline(pid), bin+"\n") {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if t.Failed() {
			l, _ := os.ReadFile(p.LogFile)
			t.Logf("watchdog log:\n%s", l)
		}
	})
	run := func(p watchdog.Process, want steps.Report) int {
		t.Helper()
		r, err := steps.Run(ctx, e, []steps.Step{install.StartStep(p)}, nil)
		if err != nil {
			t.Fatalf("steps.Run: %v", err)
		}
		if diff := cmp.Diff(want, r); diff != "" {
			t.Fatalf("steps.Run: -want +got:\n%s", diff)
		}
		pid := readPID(t, p.PIDFile)
		started = append(started, pid)
		if got, want := cmdline(pid), strings.Join(p.Args(), "\n")+"\n"; got != want {
			t.Fatalf("process %d runs %q, want %q", pid, got, want)
		}
		return pid
	}
	changed := steps.Report{Changed: []string{install.StepStart}}
	unchanged := steps.Report{Unchanged: []string{install.StepStart}}

	first := run(p, changed)
	if got := procField(t, first, "Uid"); got != pg.Uid {
		t.Errorf("the watchdog runs as uid %s, want postgres (%s)", got, pg.Uid)
	}
	// In a session of its own: it outlives the command and the executor.
	if sid, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(first), "stat")); strings.Fields(string(sid))[5] != strconv.Itoa(first) {
		t.Errorf("the watchdog is not the leader of its own session: stat %s", sid)
	}
	wait.For(t, deadline, "the watchdog to log a decision", func() (bool, string) {
		l, _ := os.ReadFile(p.LogFile)
		return strings.Contains(string(l), "msg=decision action=nothing primary=false"), string(l)
	})
	// The executor's command and its session are over: the watchdog is
	// still there.
	if !strings.HasPrefix(cmdline(first), bin+"\n") {
		t.Fatalf("the watchdog %d did not outlive the command that started it", first)
	}
	if again := run(p, unchanged); again != first {
		t.Errorf("a second run started another watchdog: %d, then %d", first, again)
	}

	// A watchdog that died is started again.
	if err := syscall.Kill(first, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wait.For(t, deadline, "the watchdog to exit", func() (bool, string) { return cmdline(first) == "", "" })
	second := run(p, changed)

	// One with other flags is replaced, not joined by a second one.
	p2 := p
	p2.FenceAfter = 2 * time.Second
	third := run(p2, changed)
	if cmdline(second) != "" {
		t.Errorf("the watchdog with the old flags (%d) still runs beside the new one (%d)", second, third)
	}

	// A pid file naming another process, here the test itself, is not
	// taken for the watchdog, and that process is left alone.
	if err := os.WriteFile(p2.PIDFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(third, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wait.For(t, deadline, "the watchdog to exit", func() (bool, string) { return cmdline(third) == "", "" })
	fourth := run(p2, changed)
	if fourth == os.Getpid() {
		t.Fatalf("the step took the test process for the watchdog")
	}

	if err := install.Stop(ctx, e, p2); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if cmdline(fourth) != "" {
		t.Errorf("Stop: the watchdog %d still runs", fourth)
	}
	if _, err := os.Stat(p2.PIDFile); !os.IsNotExist(err) {
		t.Errorf("Stop: want the pid file removed, stat says %v", err)
	}
}
