package pgvm

import (
	"context"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
	"github.com/dbaas-io/dbaas/internal/testing/integration"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
)

// Ports 25900-25999 are this package's.
const (
	portLocal     = 25901
	portSSH       = 25902
	portConflict  = 25903
	portFailStart = 25904

	// password has what a shell or a conf file would trip on.
	password = `s3cr3t 'pw" $HOME \x; rm -rf`
)

// needPostgres skips the test when PostgreSQL 15 is not on this host.
func needPostgres(t *testing.T) {
	t.Helper()
	integration.Needs(t, "PostgreSQL 15 (make deps) and root")
	if _, err := os.Stat(filepath.Join(DefaultBinRoot, "15", "bin", "initdb")); err != nil {
		t.Fatal("PostgreSQL 15 is not installed on this host: run make deps")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the play hands directories to the postgres user and runs PostgreSQL as it, which needs root: run it as root, as CI does")
	}
}

// sshExecutor dials the in-process SSH server.
func sshExecutor(t *testing.T) executor.Executor {
	t.Helper()
	srv := sshtest.Start(t)
	e, _, err := executor.DialSSH(context.Background(), executor.Config{Address: srv.Addr(), User: srv.User(), PrivateKeyPEM: srv.ClientKeyPEM()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// testRoot returns a root the OS user can traverse, removed at the end,
// after any server running in it is stopped by the PID in its pid file.
func testRoot(t *testing.T) string {
	t.Helper()
	// Short, so that the socket path stays within PostgreSQL's limit.
	root, err := os.MkdirTemp("", "pgvm-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopServer(t, root)
		_ = os.RemoveAll(root)
	})
	return root
}

// stopServer stops the postmaster whose pid file is under root, if any.
func stopServer(t *testing.T, root string) {
	t.Helper()
	data := testOptions(root, 0).DataDirPath()
	pid, _ := local.ReadPID(filepath.Join(data, local.PIDFileName))
	if pid == 0 {
		return
	}
	if err := local.StopPID(context.Background(), pid, data, 30*time.Second); err != nil {
		t.Errorf("cannot stop postmaster %d: %v", pid, err)
	}
}

func testOptions(root string, port int) Options {
	return Options{
		Root:            root,
		DataDir:         "/var/lib/postgresql/15/main",
		Port:            port,
		ListenAddresses: []string{"127.0.0.1"},
		Settings: map[string]string{
			"max_connections": "40",
			"shared_buffers":  "32MB",
			"work_mem":        "8MB",
			// Not in --describe-config, which leaves out what the sample file lacks.
			"application_name": "dbaas 'play'",
		},
		HBA:               []HBARule{{Type: "host", Database: "all", User: "all", Address: "127.0.0.1/32", Method: "scram-sha-256"}},
		SuperuserPassword: password,
		ServiceMode:       ServicePgCtl,
	}
}

// recorder remembers every command and file write, to show the password
// is on none of them.
type recorder struct {
	executor.Executor
	mu   sync.Mutex
	cmds []string
}

func (r *recorder) Run(ctx context.Context, cmd string, stdin io.Reader) (executor.Result, error) {
	r.mu.Lock()
	r.cmds = append(r.cmds, cmd)
	r.mu.Unlock()
	return r.Executor.Run(ctx, cmd, stdin)
}

func (r *recorder) WriteFile(ctx context.Context, p string, data []byte, mode fs.FileMode) error {
	r.mu.Lock()
	r.cmds = append(r.cmds, "write "+p)
	r.mu.Unlock()
	return r.Executor.WriteFile(ctx, p, data, mode)
}

func (r *recorder) commands() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.cmds...)
}

func connect(t *testing.T, port int) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig("host=127.0.0.1 port=" + strconv.Itoa(port) + " user=postgres dbname=postgres sslmode=disable connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Password = password
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("cannot connect as the superuser with the password: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func show(t *testing.T, port int, name string) string {
	t.Helper()
	var v string
	if err := connect(t, port).QueryRow(context.Background(), "SHOW "+name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func postmasterPID(t *testing.T, o Options) int {
	t.Helper()
	pid, err := local.ReadPID(filepath.Join(o.DataDirPath(), local.PIDFileName))
	if err != nil || pid == 0 {
		t.Fatalf("no postmaster pid: %v", err)
	}
	return pid
}

func stepNames(s []steps.Step) []string {
	n := make([]string, len(s))
	for i, st := range s {
		n[i] = st.Name
	}
	return n
}

func runPlay(t *testing.T, e executor.Executor, o Options) (steps.Report, time.Duration) {
	t.Helper()
	plan, err := Plan(o)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r, err := steps.Run(context.Background(), e, plan, nil)
	d := time.Since(start)
	if err != nil {
		t.Fatalf("play: %v (report %+v)", err, r)
	}
	return r, d
}

// TestPlay runs the play against this host, locally and over SSH: the first
// run initialises and starts a real server, the second changes nothing, and
// changing a setting changes only the settings step and makes the new value
// live, reloading or restarting as the setting needs.
func TestPlay(t *testing.T) {
	needPostgres(t)
	for _, tc := range []struct {
		name string
		port int
		exec func(*testing.T) executor.Executor
	}{
		{"Local", portLocal, func(*testing.T) executor.Executor { return executor.Local{} }},
		{"SSH", portSSH, sshExecutor},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{Executor: tc.exec(t)}
			root := testRoot(t)
			o := testOptions(root, tc.port)
			plan, err := Plan(o)
			if err != nil {
				t.Fatal(err)
			}
			all := stepNames(plan)

			// First run: everything changes but the binaries' check, the
			// health check, which finds the server pg_ctl -w started ready,
			// and the superuser's password, which initdb set.
			r, d := runPlay(t, rec, o)
			t.Logf("first play over %s: %v", tc.name, d)
			want := steps.Report{Unchanged: []string{all[0], all[len(all)-2], all[len(all)-1]}, Changed: all[1 : len(all)-2]}
			if diff := cmp.Diff(want, r, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("first run: -want +got:\n%s", diff)
			}
			var one int
			if err := connect(t, tc.port).QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
				t.Fatalf("SELECT 1: %d, %v", one, err)
			}
			for name, want := range map[string]string{"max_connections": "40", "shared_buffers": "32MB", "work_mem": "8MB", "port": strconv.Itoa(tc.port)} {
				if got := show(t, tc.port, name); got != want {
					t.Errorf("SHOW %s = %q, want %q", name, got, want)
				}
			}
			if _, err := os.Stat(o.withDefaults().pwFile()); !os.IsNotExist(err) {
				t.Errorf("the password file is still there: %v", err)
			}
			if err := Health(context.Background(), rec, o); err != nil {
				t.Errorf("Health: %v", err)
			}

			// Second run: nothing to do.
			r, d = runPlay(t, rec, o)
			t.Logf("second (no-change) play over %s: %v", tc.name, d)
			if !r.NothingChanged() || len(r.Unchanged) != len(all) {
				t.Errorf("second run changed something: %+v", r)
			}

			// A setting that takes effect on reload: only the settings
			// step changes, and the same postmaster serves the new value.
			pid := postmasterPID(t, o)
			o.Settings["work_mem"] = "16MB"
			r, d = runPlay(t, rec, o)
			t.Logf("reload play over %s: %v", tc.name, d)
			if diff := cmp.Diff([]string{StepSettings}, r.Changed); diff != "" {
				t.Errorf("after changing work_mem, changed: -want +got:\n%s", diff)
			}
			if got := show(t, tc.port, "work_mem"); got != "16MB" {
				t.Errorf("work_mem after the play: %q, want 16MB", got)
			}
			if got := postmasterPID(t, o); got != pid {
				t.Errorf("the server restarted (pid %d, then %d) for a reloadable setting", pid, got)
			}

			// A setting that takes effect only at start: the play restarts
			// the server.
			o.Settings["max_connections"] = "60"
			r, d = runPlay(t, rec, o)
			t.Logf("restart play over %s: %v", tc.name, d)
			if diff := cmp.Diff([]string{StepSettings}, r.Changed); diff != "" {
				t.Errorf("after changing max_connections, changed: -want +got:\n%s", diff)
			}
			if got := show(t, tc.port, "max_connections"); got != "60" {
				t.Errorf("max_connections after the play: %q, want 60", got)
			}
			if got := postmasterPID(t, o); got == pid {
				t.Error("the server was not restarted for max_connections")
			}

			// A value the server refuses fails the settings step, naming
			// it, and the server keeps its previous value; the next play
			// says so again rather than finding the file right.
			o.Settings["work_mem"] = "lots"
			for i := range 2 {
				plan, err := Plan(o)
				if err != nil {
					t.Fatal(err)
				}
				r, err = steps.Run(context.Background(), rec, plan, nil)
				if err == nil || r.Failed != StepSettings || !strings.Contains(err.Error(), "did not take these settings") || !strings.Contains(err.Error(), "work_mem = lots") {
					t.Fatalf("play %d with work_mem = lots: %v (report %+v)", i+1, err, r)
				}
				t.Log(err)
			}
			if got := show(t, tc.port, "work_mem"); got != "16MB" {
				t.Errorf("work_mem after a refused value: %q, want 16MB", got)
			}
			o.Settings["work_mem"] = "16MB"
			if r, _ = runPlay(t, rec, o); !cmp.Equal(r.Changed, []string{StepSettings}) {
				t.Errorf("putting work_mem right changed %v", r.Changed)
			}

			// A stopped server is started again, and only that step runs.
			if out, err := exec.Command("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--",
				o.withDefaults().bin("pg_ctl"), "stop", "-s", "-m", "fast", "-D", o.DataDirPath()).CombinedOutput(); err != nil {
				t.Fatalf("pg_ctl stop: %v: %s", err, out)
			}
			r, d = runPlay(t, rec, o)
			t.Logf("restart-a-stopped-server play over %s: %v", tc.name, d)
			if !cmp.Equal(r.Changed, []string{StepStart}) {
				t.Errorf("after stopping the server, changed: %v, want only %q", r.Changed, StepStart)
			}
			connect(t, tc.port)

			for _, c := range rec.commands() {
				if strings.Contains(c, password) || strings.Contains(c, "s3cr3t") {
					t.Errorf("a command holds the password: %q", c)
				}
			}
		})
	}
}

// TestPlayStopsWhenThePortIsTaken: a listener on the port makes the start
// step fail, named, with the cause, and the health check is not run.
func TestPlayStopsWhenThePortIsTaken(t *testing.T) {
	needPostgres(t)
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(portConflict))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	e := sshExecutor(t)
	o := testOptions(testRoot(t), portConflict)
	plan, err := Plan(o)
	if err != nil {
		t.Fatal(err)
	}
	r, err := steps.Run(context.Background(), e, plan, nil)
	if err == nil {
		t.Fatal("the play succeeded with its port taken")
	}
	t.Log(err)
	if want := `step "start postgresql": cannot apply it: port 25903 is already in use on the machine`; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
	if !strings.Contains(err.Error(), "Address already in use") {
		t.Errorf("error %q does not quote the server's log", err)
	}
	if r.Failed != StepStart || !cmp.Equal(r.NotRun, []string{StepHealth, StepPassword}) {
		t.Errorf("report %+v: want the start failed and the health check not run", r)
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("the error holds the password: %v", err)
	}
}

// TestPlayCauses: the common failures before a server runs name their
// cause.
func TestPlayCauses(t *testing.T) {
	needPostgres(t)
	cases := map[string]struct {
		setup func(t *testing.T, o *Options)
		step  string
		want  string
	}{
		"BinariesMissing": {
			setup: func(t *testing.T, o *Options) { o.BinRoot = t.TempDir() },
			step:  "find postgresql-15 binaries",
			want:  "PostgreSQL 15 is not installed on the machine: ",
		},
		"DataDirectoryOwnedByOther": {
			setup: func(t *testing.T, o *Options) {
				d := o.DataDirPath()
				if err := os.MkdirAll(d, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(d, "precious"), []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chown(d, 0, 0); err != nil {
					t.Fatal(err)
				}
			},
			step: StepDataDirectory,
			want: "is owned by root, not postgres, and is not empty",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := testOptions(testRoot(t), portFailStart)
			tc.setup(t, &o)
			plan, err := Plan(o)
			if err != nil {
				t.Fatal(err)
			}
			r, err := steps.Run(context.Background(), executor.Local{}, plan, nil)
			if err == nil {
				t.Fatal("the play succeeded")
			}
			t.Log(err)
			if r.Failed != tc.step || !strings.HasPrefix(err.Error(), `step "`+tc.step+`"`) {
				t.Errorf("failed step %q (%v), want %q", r.Failed, err, tc.step)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}
