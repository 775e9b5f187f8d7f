package postgresql

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/executor"

	"github.com/dbaas-io/dbaas/internal/ports"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/local"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

func freePort(t *testing.T) int32 {
	t.Helper()
	p, err := ports.Free()
	if err != nil {
		t.Fatal(err)
	}
	return int32(p)
}

// stopOnCleanup stops any postmaster the test left behind, by PID.
func stopOnCleanup(t *testing.T, i *Instance) {
	t.Cleanup(func() {
		pid, _ := local.ReadPID(filepath.Join(i.DataDir(), local.PIDFileName))
		if err := local.StopPID(context.Background(), pid, i.DataDir(), 30*time.Second); err != nil {
			t.Errorf("cannot stop postmaster %d: %v", pid, err)
		}
	})
}

// TestInstanceLifecycle runs a member in a directory too deep for its own
// socket directory, as a machine of a deep base directory or with long
// namespace and instance names has: its socket is reached through its
// short link in SocketRoot. Its first start fails on a port another
// listener holds (startFailureQuotesLog), and it starts once that one
// has let go, from a provider with a credential in its environment that
// the postmaster does not inherit (postmasterKeepsNoCredential).
func TestInstanceLifecycle(t *testing.T) {
	ctx := context.Background()
	const password = "s3cr3t-'pw\\"
	withProviderCredential(t)
	held, err := net.Listen("tcp", Address+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	deep := filepath.Join(testenv.SharedDir(t), strings.Repeat("n", 63), strings.Repeat("m", 63))
	i := NewInstance(executor.Local{}, deep, "pg", "15", int32(held.Addr().(*net.TCPAddr).Port), "admin")
	stopOnCleanup(t, i)
	if socketFits(i.ownSocketDir(), i.Port) {
		t.Fatalf("%s: the test needs a socket directory too deep for PostgreSQL", i.ownSocketDir())
	}

	// A link left by a member whose directory is gone is pruned when this
	// one starts.
	gone := filepath.Join(SocketRoot, "gone-"+strconv.Itoa(int(i.Port)))
	if err := os.MkdirAll(SocketRoot, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(testenv.SharedDir(t), "gone", "run"), gone); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(gone) })

	if err := i.Init(ctx, password); err != nil {
		t.Fatalf("Init: %v", err)
	}
	if _, err := os.Stat(filepath.Join(i.Dir, pwFile)); !os.IsNotExist(err) {
		t.Errorf("Init: want the password file removed, stat says %v", err)
	}
	if _, err := i.Configure(ctx, i.Settings(ptr(30), nil, map[string]string{"application_name": "it's"})); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	startFailureQuotesLog(t, i)
	if err := held.Close(); err != nil {
		t.Fatal(err)
	}
	if err := i.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	pid := pidOf(t, i)
	// Starting twice is a no-op that keeps the one postmaster.
	if err := i.Start(ctx); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	if diff := cmp.Diff(pid, pidOf(t, i)); diff != "" || pid == 0 {
		t.Errorf("second Start: want the same postmaster %d, -want +got:\n%s", pid, diff)
	}
	postmasterKeepsNoCredential(t, pid)
	// The socket is in the member's own directory, and reached through
	// the short link, over which the engine user logs in by peer
	// authentication (as a restore's steps do), once it has a role: this
	// instance's bootstrap superuser is admin.
	if fi, err := os.Stat(filepath.Join(i.ownSocketDir(), ".s.PGSQL."+strconv.Itoa(int(i.Port)))); err != nil || fi.Mode().Type() != os.ModeSocket {
		t.Errorf("the socket in %s: %v, %v", i.ownSocketDir(), fi, err)
	}
	if to, err := os.Readlink(i.SocketDir()); err != nil || to != i.ownSocketDir() {
		t.Errorf("%s: want a link to %s, got %q, %v", i.SocketDir(), i.ownSocketDir(), to, err)
	}
	if _, err := os.Lstat(gone); !os.IsNotExist(err) {
		t.Errorf("%s, a link to a directory that is gone: want it pruned at start, lstat says %v", gone, err)
	}
	if c, err := i.Connect(ctx, "admin", password, "postgres"); err != nil {
		t.Fatalf("Connect: %v", err)
	} else {
		_, err = c.Exec(ctx, "CREATE ROLE "+engineUser+" LOGIN")
		_ = c.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
	}
	if out, err := i.psql(ctx, "SELECT current_user"); err != nil || strings.TrimSpace(out) != engineUser {
		t.Errorf("psql over the socket %s: got %q, %v", i.SocketDir(), out, err)
	}
	s, err := i.Status(ctx, password)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if !s.Running || !s.Ready || s.Version == "" || s.Version[:3] != "15." {
		t.Errorf("Status: want a running, ready 15.x server, got %+v", s)
	}

	show := func(name string) string {
		c, err := i.Connect(ctx, "admin", password, "postgres")
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		defer c.Close(ctx)
		var v string
		if err := c.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v); err != nil {
			t.Fatalf("current_setting(%s): %v", name, err)
		}
		return v
	}
	if diff := cmp.Diff("30", show("max_connections")); diff != "" {
		t.Errorf("max_connections: -want +got:\n%s", diff)
	}

	// max_connections needs a restart; work_mem a reload.
	ch, err := i.Configure(ctx, i.Settings(ptr(40), nil, map[string]string{"application_name": "it's", "work_mem": "8MB"}))
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if diff := cmp.Diff([]string{"max_connections", "work_mem"}, ch); diff != "" {
		t.Errorf("Configure: changed -want +got:\n%s", diff)
	}
	if err := i.Apply(ctx, password, ch); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if diff := cmp.Diff("40", show("max_connections")); diff != "" {
		t.Errorf("max_connections after Apply: -want +got:\n%s", diff)
	}
	if diff := cmp.Diff("8MB", show("work_mem")); diff != "" {
		t.Errorf("work_mem after Apply: -want +got:\n%s", diff)
	}
	if diff := cmp.Diff("it's", show("application_name")); diff != "" {
		t.Errorf("application_name: -want +got:\n%s", diff)
	}

	pid = pidOf(t, i)
	if err := i.Remove(ctx); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if local.Alive(pid) {
		t.Errorf("Remove: postmaster %d still alive", pid)
	}
	if _, err := os.Stat(i.Dir); !os.IsNotExist(err) {
		t.Errorf("Remove: want %s gone, stat says %v", i.Dir, err)
	}
	if _, err := os.Lstat(i.SocketDir()); !os.IsNotExist(err) {
		t.Errorf("Remove: want the socket link %s gone, lstat says %v", i.SocketDir(), err)
	}
}

func TestMissingVersion(t *testing.T) {
	i := NewInstance(executor.Local{}, t.TempDir(), "pg", "16", 1, "postgres")
	i.BinRoot = t.TempDir()
	err := i.Init(context.Background(), "pw")
	if diff := cmp.Diff(errors.Errorf(errNotInstalled, "16", "16"), err, test.EquateErrors()); diff != "" {
		t.Errorf("Init: -want error, +got error:\n%s", diff)
	}
}
