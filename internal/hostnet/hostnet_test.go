package hostnet_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/hostnet"
	"github.com/dbaas-io/dbaas/internal/testing/testhost"
)

// TestHostMadeTwice checks that making a host is idempotent, as the local
// backend needs when a provider restarts mid-way: a second EnsureBridge and
// EnsureNamespace change nothing, an sshd started as a daemon is found by
// its PID file, sees the host's own /etc/hosts and a change to it, and
// RemoveNamespace leaves no namespace, link, /etc/netns file or process,
// and may be called again.
func TestHostMadeTwice(t *testing.T) {
	ctx := context.Background()
	n := testhost.NewNetwork(t)
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	ns := "dbhn" + hex.EncodeToString(b)
	t.Cleanup(func() {
		if err := hostnet.RemoveNamespace(context.Background(), ns); err != nil {
			t.Errorf("cannot remove %s: %v", ns, err)
		}
	})
	addr := netip.PrefixFrom(n.Gateway().Next().Next().Next(), n.Subnet().Bits())
	gw := netip.PrefixFrom(n.Gateway(), n.Subnet().Bits())
	for range 2 {
		if err := hostnet.EnsureBridge(ctx, n.Bridge(), gw); err != nil {
			t.Fatal(err)
		}
		if err := hostnet.EnsureNamespace(ctx, ns, n.Bridge(), addr); err != nil {
			t.Fatal(err)
		}
	}
	out, err := hostnet.IP(ctx, "-n", ns, "-o", "-4", "addr", "show", "dev", "eth0")
	if err != nil {
		t.Fatal(err)
	}
	if c := strings.Count(out, " "+addr.String()+" "); c != 1 {
		t.Errorf("eth0 of %s holds %s %d times; want once:\n%s", ns, addr, c, out)
	}

	dir := t.TempDir()
	s := hostnet.SSHD{Dir: filepath.Join(dir, "ssh"), Address: addr.Addr(), Port: 22, User: "root", Home: filepath.Join(dir, "home")}
	if err := s.Configure([]byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDbaas test\n")); err != nil {
		t.Fatal(err)
	}
	key, err := s.HostKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Configure(nil); err != nil {
		t.Fatal(err)
	}
	if again, err := s.HostKey(); err != nil || again != key {
		t.Errorf("a second Configure changed the host key from %q to %q (%v)", key, again, err)
	}
	// The host's own /etc/hosts, written before its sshd starts, is what
	// sshd sees (its mount namespace's, read through /proc), and a change
	// reaches it while it runs.
	hosts := func(alias string) []byte {
		b, err := hostnet.HostsFile([]byte("127.0.0.1\tlocalhost\n"), []hostnet.HostsEntry{{Addr: n.Gateway(), Names: []string{alias}}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if err := hostnet.WriteHosts(ns, hosts("s3.dbaas.test")); err != nil {
		t.Fatal(err)
	}
	pid, err := s.StartDaemon(ctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.Running(ns); !ok || got != pid {
		t.Errorf("Running: got %d, %t; want the daemon %d", got, ok, pid)
	}
	st, _ := hostnet.ReadStat(pid)
	seen := func() string {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "root", "etc", "hosts"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := seen(); got != string(hosts("s3.dbaas.test")) {
		t.Errorf("sshd's /etc/hosts: got %q, want the host's own %q", got, hosts("s3.dbaas.test"))
	}
	if err := hostnet.WriteHosts(ns, hosts("store.dbaas.test")); err != nil {
		t.Fatal(err)
	}
	if got := seen(); got != string(hosts("store.dbaas.test")) {
		t.Errorf("sshd's /etc/hosts after a change: got %q, want %q", got, hosts("store.dbaas.test"))
	}

	for range 2 {
		if err := hostnet.RemoveNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{filepath.Join("/run/netns", ns), filepath.Join("/sys/class/net", ns), filepath.Join("/etc/netns", ns)} {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("after RemoveNamespace, %s is left (%v)", path, err)
		}
	}
	if now, ok := hostnet.ReadStat(pid); ok && now.Start == st.Start {
		t.Errorf("after RemoveNamespace, sshd %d is left (state %s)", pid, now.State)
	}
}

// TestKillLeftBelow checks that the processes of a host whose namespace was
// deleted before they were stopped are still found and stopped: its sshd
// by its PID file, and a daemon it started (as pg_ctl starts postgres),
// which writes no PID file, through the sshd's namespace. A process of the
// machine's own namespace is left alone, even when a PID file below the
// directory names it and its command line names the directory.
func TestKillLeftBelow(t *testing.T) {
	ctx := context.Background()
	n := testhost.NewNetwork(t)
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	ns := "dbhl" + hex.EncodeToString(b)
	dir := t.TempDir()
	t.Cleanup(func() {
		if err := hostnet.RemoveNamespace(context.Background(), ns); err != nil {
			t.Errorf("cannot remove %s: %v", ns, err)
		}
		if err := hostnet.KillLeftBelow(context.Background(), dir); err != nil {
			t.Errorf("cannot stop what %s left: %v", ns, err)
		}
	})
	addr := netip.PrefixFrom(n.Gateway().Next().Next().Next(), n.Subnet().Bits())
	if err := hostnet.EnsureNamespace(ctx, ns, n.Bridge(), addr); err != nil {
		t.Fatal(err)
	}
	s := hostnet.SSHD{Dir: filepath.Join(dir, "ssh"), Address: addr.Addr(), Port: 22, User: "root", Home: filepath.Join(dir, "home")}
	if err := s.Configure([]byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDbaas test\n")); err != nil {
		t.Fatal(err)
	}
	sshd, err := s.StartDaemon(ctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	// A daemon of the host: setsid -f forks, so its parent is PID 1, as a
	// server's is, and it writes its PID where the test finds it. Its
	// output goes elsewhere, or ip's output would stay open while it runs.
	daemonPID := filepath.Join(t.TempDir(), "daemon")
	if _, err := hostnet.IP(ctx, "netns", "exec", ns, "setsid", "-f", "sh", "-c", "echo $$ > "+daemonPID+"; exec sleep 3600 </dev/null >/dev/null 2>&1"); err != nil {
		t.Fatal(err)
	}
	daemon := waitPIDFile(t, daemonPID)

	// A process of the machine's own namespace, named by a PID file below
	// dir and working there: it is not the host's and must survive.
	own := exec.Command("sleep", "3600")
	own.Dir = dir
	if err := own.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = own.Process.Kill(); _ = own.Wait() })
	if err := os.WriteFile(filepath.Join(dir, "own.pid"), []byte(strconv.Itoa(own.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	starts := map[int]string{}
	for _, pid := range []int{sshd, daemon} {
		st, ok := hostnet.ReadStat(pid)
		if !ok {
			t.Fatalf("process %d does not run", pid)
		}
		starts[pid] = st.Start
	}
	// The namespace's name goes; its processes keep running, and
	// RemoveNamespace no longer finds them.
	if _, err := hostnet.IP(ctx, "netns", "del", ns); err != nil {
		t.Fatal(err)
	}
	if err := hostnet.RemoveNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	for pid, start := range starts {
		if st, ok := hostnet.ReadStat(pid); !ok || st.Start != start {
			t.Fatalf("process %d ended with its namespace's name; the test no longer shows what it should", pid)
		}
	}

	for range 2 {
		if err := hostnet.KillLeftBelow(ctx, dir); err != nil {
			t.Fatal(err)
		}
	}
	for pid, start := range starts {
		if st, ok := hostnet.ReadStat(pid); ok && st.Start == start {
			t.Errorf("after KillLeftBelow, process %d of the deleted namespace is left (state %s)", pid, st.State)
		}
	}
	if st, ok := hostnet.ReadStat(own.Process.Pid); !ok || st.State == "Z" {
		t.Errorf("KillLeftBelow stopped process %d of the machine's own namespace (running %t, state %s)", own.Process.Pid, ok, st.State)
	}
}

// waitPIDFile waits for a PID file to hold a PID and returns it.
func waitPIDFile(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(hostnet.WaitDeadline)
	for {
		if b, err := os.ReadFile(path); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				return pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds no PID after %s", path, hostnet.WaitDeadline)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
