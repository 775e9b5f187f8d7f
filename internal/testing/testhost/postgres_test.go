package testhost_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/testing/testhost"
)

const pgBin = "/usr/lib/postgresql/15/bin"

// asPostgres returns args as a command line that runs as the postgres OS
// user, since initdb and postgres refuse to run as root.
func asPostgres(args ...string) string {
	return executor.ShellCommand(append([]string{"setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"}, args...)...)
}

// connect connects to PostgreSQL at host (an address, or a socket
// directory) as postgres, giving up on a dial after timeout.
func connect(ctx context.Context, host string, timeout time.Duration) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig("port=5432 user=postgres dbname=postgres sslmode=disable")
	if err != nil {
		return nil, err
	}
	cfg.Host, cfg.ConnectTimeout = host, timeout
	return pgx.ConnectConfig(ctx, cfg)
}

// removeSharedMemory removes, when the test ends, the System V shared
// memory segment whose ID postmaster.pid names: a postmaster killed by a
// power-off leaves it behind, and network namespaces do not isolate it, so
// it would outlive the test on the machine.
func removeSharedMemory(t *testing.T, pidFile string) {
	t.Helper()
	lines := strings.Split(pidFile, "\n")
	// Line 7 is "key id".
	if len(lines) < 7 || len(strings.Fields(lines[6])) != 2 {
		t.Fatalf("cannot read the shared memory segment from postmaster.pid: %q", pidFile)
	}
	id := strings.Fields(lines[6])[1]
	t.Cleanup(func() {
		// ipcrm fails when the segment is already gone, as after a
		// clean shutdown.
		_ = exec.Command("ipcrm", "-m", id).Run()
	})
}

// serverAddr asks the server which address the connection reached.
func serverAddr(ctx context.Context, t *testing.T, c *pgx.Conn) string {
	t.Helper()
	var addr *string
	if err := c.QueryRow(ctx, "SELECT host(inet_server_addr())").Scan(&addr); err != nil {
		t.Fatal(err)
	}
	if addr == nil {
		return "" // a Unix socket
	}
	return *addr
}

// TestPostgreSQLInsideAHost runs a real PostgreSQL 15 inside a host, set up
// over the host's SSH with a sudo login user, its data directory on the
// shared file system and its listener on the host's address only. The test
// process reaches it over the bridge; a partition cuts the network while
// the server keeps running (it still answers on its Unix socket, which is
// on the shared file system), healing brings it back, and a power-off
// leaves no process of the host.
func TestPostgreSQLInsideAHost(t *testing.T) {
	n := testhost.NewNetwork(t)
	h := n.Host(t, "db", testhost.WithSudoUser())
	if _, err := os.Stat(filepath.Join(pgBin, "postgres")); err != nil {
		t.Fatalf("PostgreSQL 15 is not installed: run make deps: %v", err)
	}
	e := h.Executor(t)
	// The server's directory holds its data directory, its socket and its
	// log, all the postgres user's.
	base := filepath.Join(h.Dir(), "postgres")
	data, sock := filepath.Join(base, "data"), base
	addr := h.Address().String()

	run(t, e, executor.ShellCommand("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "0700", base))
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(base, "postgres.log"))
			t.Logf("postgres.log:\n%s", b)
		}
	})
	run(t, e, asPostgres(filepath.Join(pgBin, "initdb"), "--auth=trust", "--username=postgres", "--pgdata="+data))
	// Only the test process, whose connections come from the bridge's
	// address, may connect over the network.
	hba := "host all postgres " + n.Gateway().String() + "/32 trust"
	run(t, e, asPostgres("sh", "-c", `printf '%s\n' "$1" >> "$2"`, "sh", hba, filepath.Join(data, "pg_hba.conf")))
	// start starts the server over SSH and returns the postmaster's PID.
	start := func(e executor.Executor) int {
		t.Helper()
		run(t, e, asPostgres(filepath.Join(pgBin, "pg_ctl"), "start", "--wait", "--timeout=120",
			"--pgdata="+data, "--log="+filepath.Join(base, "postgres.log"),
			"--options=-c listen_addresses="+addr+" -c port=5432 -c unix_socket_directories="+sock))
		pidFile, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
		if err != nil {
			t.Fatal(err)
		}
		removeSharedMemory(t, string(pidFile))
		pid, err := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
		if err != nil {
			t.Fatalf("cannot read the postmaster's PID from postmaster.pid: %v", err)
		}
		if pids := h.Processes(t); !slices.Contains(pids, pid) {
			t.Fatalf("the postmaster (%d) does not run inside the host, whose processes are %v", pid, pids)
		}
		return pid
	}
	postmaster := start(e)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := connect(ctx, addr, time.Minute)
	if err != nil {
		t.Fatalf("the test process cannot reach PostgreSQL at %s over the bridge: %v", addr, err)
	}
	if got := serverAddr(ctx, t, c); got != addr {
		t.Errorf("the connection reached the server at %q, want %q", got, addr)
	}
	_ = c.Close(ctx)

	h.Partition(t)
	// A dial that fails, by timeout or refusal, is the outcome asked for:
	// the short timeout only bounds how long the test waits for it.
	if c, err := connect(ctx, addr, 2*time.Second); err == nil {
		_ = c.Close(ctx)
		t.Fatal("PostgreSQL on a partitioned host is reachable over the network")
	}
	if pids := h.Processes(t); !slices.Contains(pids, postmaster) {
		t.Fatalf("the partition stopped the postmaster (%d); the host runs %v", postmaster, pids)
	}
	local, err := connect(ctx, sock, time.Minute)
	if err != nil {
		t.Fatalf("PostgreSQL on the partitioned host does not answer on its socket: %v", err)
	}
	if err := local.Ping(ctx); err != nil {
		t.Errorf("PostgreSQL on the partitioned host does not answer on its socket: %v", err)
	}
	_ = local.Close(ctx)

	h.Heal(t)
	for {
		c, err := connect(ctx, addr, 10*time.Second)
		if err == nil {
			_ = c.Close(ctx)
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("PostgreSQL is unreachable after healing the partition: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	h.PowerOff(t)
	if pids := h.Processes(t); len(pids) != 0 {
		t.Errorf("after a power-off, the host runs %v", pids)
	}
	if c, err := connect(ctx, addr, 2*time.Second); err == nil {
		_ = c.Close(ctx)
		t.Error("PostgreSQL on a powered-off host is reachable")
	}

	// The data directory outlives the power-off, as a disk does: after
	// PowerOn the provider reaches the host again and starts the server
	// on the same data.
	h.PowerOn(t)
	start(h.Executor(t))
	c, err = connect(ctx, addr, time.Minute)
	if err != nil {
		t.Fatalf("PostgreSQL restarted after a power-off is unreachable: %v", err)
	}
	if got := serverAddr(ctx, t, c); got != addr {
		t.Errorf("after the power-off, the connection reached the server at %q, want %q", got, addr)
	}
	_ = c.Close(ctx)
}
