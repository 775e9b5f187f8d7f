package testhost

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

// dialDeadline bounds Executor's dial: long, since the machine is shared
// and loaded, and a dial that succeeds returns at once.
const dialDeadline = 2 * time.Minute

// hostName is what a host's name may be: it names the host's directory.
var hostName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// A Host is a network namespace on a Network with its own address, reached
// by the test through a veth whose other end is on the bridge, and a real
// sshd listening on that address.
type Host struct {
	net  *Network
	name string
	// ns names both the namespace and the veth end on the bridge.
	ns   string
	addr netip.Addr
	dir  string
	user string

	mu      sync.Mutex
	sshd    *process
	hostKey string
	started int
}

// An Option changes how Host makes a host.
type Option func(*hostOptions)

type hostOptions struct {
	sudo bool
}

// WithSudoUser makes the host's login user one of the test's own, not
// root, that may become root with sudo and no password: how the provider
// meets a cloud VM's default user, made by cloud-init. Executor then runs
// every command through sudo.
func WithSudoUser() Option {
	return func(o *hostOptions) { o.sudo = true }
}

// Host makes a host named name (lower-case letters, digits and dashes) on
// the network with the network's next address, starts its sshd, and removes
// the host and stops its processes when the test ends.
func (n *Network) Host(t testing.TB, name string, opts ...Option) *Host {
	t.Helper()
	if !hostName.MatchString(name) {
		t.Fatalf("host name %q: use up to 32 lower-case letters, digits and dashes", name)
	}
	var o hostOptions
	for _, opt := range opts {
		opt(&o)
	}
	num := n.nextHost(t)
	h := &Host{
		net:  n,
		name: name,
		ns:   n.subnet.name() + "-h" + strconv.Itoa(num),
		addr: n.subnet.addr(num),
		dir:  filepath.Join(n.dir, name),
		user: "root",
	}
	if err := os.Mkdir(h.dir, 0o755); err != nil {
		t.Fatalf("cannot make host %s's directory: %v", name, err)
	}
	// The user is made before the namespace so that it is removed after
	// it, once every process that ran as the user is gone: userdel refuses
	// a user with processes.
	if o.sudo {
		h.user = SudoUser(t)
	}

	if _, err := ip("netns", "add", h.ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := killNamespace(h.ns); err != nil {
			t.Errorf("cannot stop host %s: %v", name, err)
		}
		// Removing the namespace removes the veth with it.
		if _, err := ip("netns", "del", h.ns); err != nil {
			t.Errorf("cannot remove host %s: %v", name, err)
		}
		// A process that left the namespace's list without ending (the
		// namespace was deleted under it) is found by its PID file.
		if err := killLeftBelow(h.dir); err != nil {
			t.Errorf("cannot stop what host %s left: %v", name, err)
		}
	})
	if _, err := ip("link", "add", h.ns, "type", "veth", "peer", "name", "eth0", "netns", h.ns); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"link", "set", h.ns, "master", n.bridge, "up"},
		{"-n", h.ns, "addr", "add", h.addr.String() + "/24", "dev", "eth0"},
		{"-n", h.ns, "link", "set", "eth0", "up"},
		{"-n", h.ns, "link", "set", "lo", "up"},
	} {
		if _, err := ip(args...); err != nil {
			t.Fatal(err)
		}
	}
	h.setUpSSHD(t)
	h.startSSHD(t)
	return h
}

// Name is the name the test gave the host.
func (h *Host) Name() string { return h.name }

// Namespace is the name of the host's network namespace, for `ip netns
// exec` and `ip -n`.
func (h *Host) Namespace() string { return h.ns }

// Address is the host's address on the network.
func (h *Host) Address() netip.Addr { return h.addr }

// SSHAddress is host:port of the host's sshd.
func (h *Host) SSHAddress() string { return net.JoinHostPort(h.addr.String(), "22") }

// Dir is the host's own directory on the shared file system, traversable
// by every user: where its data directories go.
func (h *Host) Dir() string { return h.dir }

// User is the login user sshd lets in: root, or with WithSudoUser one that
// must use sudo.
func (h *Host) User() string { return h.user }

// ClientKeyPEM is the private key the host's sshd accepts, the network's
// provider key, in OpenSSH PEM form.
func (h *Host) ClientKeyPEM() []byte { return bytes.Clone(h.net.clientKey) }

// HostKey is the host's current host key in authorized_keys form, as
// executor.DialSSH returns it for pinning.
func (h *Host) HostKey() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hostKey
}

// Config is how the provider reaches the host, with the current host key
// pinned and sudo when the login user is not root.
func (h *Host) Config() executor.Config {
	return executor.Config{
		Address:       h.SSHAddress(),
		User:          h.user,
		PrivateKeyPEM: h.ClientKeyPEM(),
		KnownHostKey:  h.HostKey(),
		Sudo:          h.user != "root",
	}
}

// Executor dials the host with Config and closes the connection when the
// test ends.
func (h *Host) Executor(t testing.TB) *executor.SSH {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dialDeadline)
	defer cancel()
	e, _, err := executor.DialSSH(ctx, h.Config())
	if err != nil {
		t.Fatalf("cannot reach host %s over SSH: %v", h.name, err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// Start starts argv inside the host, as root, with its output in a log
// file of the host's directory, and returns its PID; the process is killed
// when the test ends if it still runs. It is for long-lived processes the
// test wants to hold by PID; commands go through Executor.
func (h *Host) Start(t testing.TB, argv ...string) int {
	t.Helper()
	h.mu.Lock()
	h.started++
	log := filepath.Join(h.dir, "start-"+strconv.Itoa(h.started)+".log")
	h.mu.Unlock()
	p, err := startIn(h.ns, log, argv...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Kill(); err != nil {
			t.Error(err)
		}
	})
	return p.PID()
}

// Processes returns the PIDs of the processes running inside the host.
func (h *Host) Processes(t testing.TB) []int {
	t.Helper()
	pids, err := namespacePIDs(h.ns)
	if err != nil {
		t.Fatal(err)
	}
	return pids
}
