package hostnet_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/internal/hostnet"
	"github.com/dbaas-io/dbaas/internal/testing/testhost"
)

// TestHostMadeTwice checks that making a host is idempotent, as the local
// backend needs when a provider restarts mid-way: a second EnsureBridge and
// EnsureNamespace change nothing, an sshd started as a daemon is found by
// its PID file, and RemoveNamespace leaves no namespace, link or process,
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
	pid, err := s.StartDaemon(ctx, ns)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.Running(ns); !ok || got != pid {
		t.Errorf("Running: got %d, %t; want the daemon %d", got, ok, pid)
	}
	st, _ := hostnet.ReadStat(pid)

	for range 2 {
		if err := hostnet.RemoveNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{filepath.Join("/run/netns", ns), filepath.Join("/sys/class/net", ns)} {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("after RemoveNamespace, %s is left (%v)", path, err)
		}
	}
	if now, ok := hostnet.ReadStat(pid); ok && now.Start == st.Start {
		t.Errorf("after RemoveNamespace, sshd %d is left (state %s)", pid, now.State)
	}
}
