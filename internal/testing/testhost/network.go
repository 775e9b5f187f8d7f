package testhost

import (
	"net/netip"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/dbaas-io/dbaas/internal/hostnet"
	"github.com/dbaas-io/dbaas/internal/testing/integration"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
)

// Needed is what the test hosts need, as integration.Needs says it.
const Needed = "root, ip, openssh-server (make deps)"

const sshdPath = hostnet.SSHDPath

// A Network is a bridge of the test's own with a /24 of its own. The
// bridge holds the subnet's first address, the gateway, so the test
// process, which plays the provider in the machine's own namespace,
// reaches every host on it.
type Network struct {
	subnet *subnet
	bridge string
	// dir holds the hosts' directories; it is traversable by every user so
	// that a host's login user and a server's user reach theirs.
	dir string
	// clientKey is the provider's private key, which every host's sshd
	// accepts.
	clientKey []byte

	mu    sync.Mutex
	hosts int
}

// NewNetwork makes a network for the test and removes it, with every host
// on it, when the test ends.
func NewNetwork(t testing.TB) *Network {
	t.Helper()
	integration.Needs(t, Needed)
	if os.Geteuid() != 0 {
		t.Fatal("test hosts are network namespaces: run the test as root, as CI does")
	}
	for _, tool := range []string{"ip", "ssh-keygen", sshdPath} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run make deps", tool)
		}
	}
	s, err := allocateSubnet()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.release)
	n := &Network{subnet: s, bridge: s.name() + "-br", clientKey: sshtest.GenerateKeyPEM(t)}

	n.dir, err = os.MkdirTemp("", "dbaas-testhost-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(n.dir) })
	if err := os.Chmod(n.dir, 0o755); err != nil {
		t.Fatal(err)
	}

	// The bridge is removed by name, and only once it exists, so a failed
	// add removes nothing of anyone else's.
	if _, err := ip("link", "add", n.bridge, "type", "bridge", "forward_delay", "0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := ip("link", "del", n.bridge); err != nil {
			t.Errorf("cannot remove the test network's bridge: %v", err)
		}
	})
	if _, err := ip("addr", "add", n.Gateway().String()+"/24", "dev", n.bridge); err != nil {
		t.Fatal(err)
	}
	if _, err := ip("link", "set", n.bridge, "up"); err != nil {
		t.Fatal(err)
	}
	return n
}

// Subnet is the network's /24.
func (n *Network) Subnet() netip.Prefix { return n.subnet.prefix }

// Gateway is the bridge's address: where hosts see the test process's
// connections come from.
func (n *Network) Gateway() netip.Addr { return n.subnet.addr(1) }

// Bridge is the name of the network's bridge.
func (n *Network) Bridge() string { return n.bridge }

// nextHost returns the last octet of the next host's address, from 2 up.
func (n *Network) nextHost(t testing.TB) int {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.hosts == 253 {
		t.Fatal("a test network holds at most 253 hosts")
	}
	n.hosts++
	return n.hosts + 1
}
