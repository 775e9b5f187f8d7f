package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	apisv1alpha1 "github.com/dbaas-io/dbaas/apis/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/hostnet"
)

const (
	errCIDR       = "spec.local.network.cidr %q is not an IPv4 subnet of at most /30"
	errNoAddress  = "no free address left in %s"
	errHost       = "cannot make the machine's host"
	errStopHost   = "cannot stop the machine's host"
	errRemoveHost = "cannot remove the machine's host"
	errNoHostKey  = "the local backend's hosts need the public key of spec.ssh to let the provider in"
	errAlias      = "spec.local.network.hostAliases[%d].ip %q is not an IPv4 address"
	errEtcHosts   = "cannot read the provider's host's /etc/hosts, which the hosts' own start from"

	// etcHosts is the provider's host's, which each host's own copies.
	etcHosts = "/etc/hosts"

	// hostSSHDir and hostHomeDir, below a machine's directory, hold its
	// sshd's files and the HOME of the commands it runs.
	hostSSHDir  = "ssh"
	hostHomeDir = "home"
	// hostUser is the one login user of a host.
	hostUser = "root"
	// defaultSSHPort is where a host's sshd listens when spec.ssh names no
	// port.
	defaultSSHPort = 22
)

// A network makes every machine of the backend a host of its own: a
// network namespace on a bridge with an address from the network's
// subnet, and a real sshd in it that lets in the provider's key.
type network struct {
	prefix netip.Prefix
	bridge string
	// authorizedKeys is what the hosts' sshd lets in; SSHPort where it
	// listens.
	authorizedKeys []byte
	sshPort        int
	// aliases are spec.local.network.hostAliases, added to each host's
	// /etc/hosts.
	aliases []hostnet.HostsEntry
	// loginErr says why the provider's key could not be read: a host
	// cannot be made without it, while one can be powered off or deleted.
	loginErr error
}

// newNetwork reads a provider config's network.
func newNetwork(n *apisv1alpha1.LocalNetwork) (*network, error) {
	p, err := netip.ParsePrefix(n.CIDR)
	if err != nil || !p.Addr().Is4() || p.Bits() > 30 {
		return nil, errors.Errorf(errCIDR, n.CIDR)
	}
	p = p.Masked()
	bridge := n.Bridge
	if bridge == "" {
		bridge = "dbbr" + shortHash(p.String(), 8)
	}
	aliases := make([]hostnet.HostsEntry, 0, len(n.HostAliases))
	for i, a := range n.HostAliases {
		addr, err := netip.ParseAddr(a.IP)
		if err != nil || !addr.Is4() {
			return nil, errors.Errorf(errAlias, i, a.IP)
		}
		aliases = append(aliases, hostnet.HostsEntry{Addr: addr, Names: a.Hostnames})
	}
	// The names are checked here too, not only by the CRD: they become
	// lines of a file root writes.
	if _, err := hostnet.HostsFile(nil, aliases); err != nil {
		return nil, errors.Wrap(err, "spec.local.network.hostAliases")
	}
	return &network{prefix: p, bridge: bridge, sshPort: defaultSSHPort, aliases: aliases}, nil
}

// shortHash is the first n hexadecimal digits of s's SHA-256: names of
// links and namespaces must fit Linux's 15 characters, which a machine's
// namespace and name do not.
func shortHash(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}

// gateway is the bridge's address, the subnet's first.
func (n *network) gateway() netip.Prefix {
	return netip.PrefixFrom(n.prefix.Addr().Next(), n.prefix.Bits())
}

// freeAddress returns the first address of the subnet after the gateway
// that no machine in taken holds, leaving out the broadcast address.
func (n *network) freeAddress(taken map[string]bool) (netip.Addr, error) {
	for a := n.prefix.Addr().Next().Next(); n.prefix.Contains(a.Next()); a = a.Next() {
		if !taken[a.String()] {
			return a, nil
		}
	}
	return netip.Addr{}, errors.Errorf(errNoAddress, n.prefix)
}

// namespaceOf is the network namespace of the machine in dir, also the
// name of its link on the bridge: "dbvm" and a hash of the directory, so
// that it fits 15 characters whatever the machine's names and is the same
// after a provider restart.
func namespaceOf(dir string) string { return "dbvm" + shortHash(dir, 11) }

// sshd is the sshd of the machine m.
func (n *network) sshd(m *record) hostnet.SSHD {
	return hostnet.SSHD{
		Dir: filepath.Join(m.WorkDir, hostSSHDir), Address: netip.MustParseAddr(m.Address), Port: n.sshPort,
		User: hostUser, Home: filepath.Join(m.WorkDir, hostHomeDir),
	}
}

// ensureHost makes the machine's bridge, namespace and sshd, each unless
// it is there, and starts the sshd unless it runs: a host cut short, or
// powered off, or whose sshd ended, comes back whole.
func (n *network) ensureHost(ctx context.Context, m *record) error {
	if n.loginErr != nil {
		return n.loginErr
	}
	if len(n.authorizedKeys) == 0 {
		return errors.New(errNoHostKey)
	}
	a, err := netip.ParseAddr(m.Address)
	if err != nil {
		return errors.Wrap(err, errHost)
	}
	if err := hostnet.EnsureBridge(ctx, n.bridge, n.gateway()); err != nil {
		return errors.Wrap(err, errHost)
	}
	if err := hostnet.EnsureNamespace(ctx, m.Netns, n.bridge, netip.PrefixFrom(a, n.prefix.Bits())); err != nil {
		return errors.Wrap(err, errHost)
	}
	// Written before sshd starts, whose /etc/hosts and its sessions' it
	// becomes, and on every pass, so a changed alias reaches a running
	// host.
	if err := n.writeHosts(m.Netns); err != nil {
		return errors.Wrap(err, errHost)
	}
	s := n.sshd(m)
	if err := s.Configure(n.authorizedKeys); err != nil {
		return errors.Wrap(err, errHost)
	}
	if _, ok := s.Running(m.Netns); ok {
		return nil
	}
	_, err = s.StartDaemon(ctx, m.Netns)
	return errors.Wrap(err, errHost)
}

// writeHosts gives the host in ns its /etc/hosts: the provider's host's
// entries, so that every name resolves there as before, then the aliases.
func (n *network) writeHosts(ns string) error {
	base, err := os.ReadFile(etcHosts)
	if err != nil {
		return errors.Wrap(err, errEtcHosts)
	}
	content, err := hostnet.HostsFile(base, n.aliases)
	if err != nil {
		return err
	}
	return hostnet.WriteHosts(ns, content)
}

// sshdRunning reports whether the machine's sshd runs.
func (n *network) sshdRunning(m *record) bool {
	_, ok := n.sshd(m).Running(m.Netns)
	return ok
}

// powerOff stops every process of the machine's host, as pulling its plug
// would; its namespace, address and files stay.
func powerOff(ctx context.Context, m *record) error {
	if m.Netns == "" || !hostnet.NamespaceExists(m.Netns) {
		return nil
	}
	return errors.Wrap(hostnet.KillNamespace(ctx, m.Netns), errStopHost)
}

// removeHost stops the processes of the host of the machine in dir and
// removes its namespace and link. Processes left in a namespace deleted
// before them (by an earlier removal cut short, or by hand) are found by
// the PID files in dir and stopped too, so none outlives its machine.
func removeHost(ctx context.Context, dir string) error {
	if err := hostnet.RemoveNamespace(ctx, namespaceOf(dir)); err != nil {
		return errors.Wrap(err, errRemoveHost)
	}
	return errors.Wrap(hostnet.KillLeftBelow(ctx, dir), errRemoveHost)
}

// RemoveHosts removes the host of every machine below baseDir: its
// processes, namespace and link. Tests call it when they end, also when
// they fail, as they call StopAll, so that no namespace outlives them.
func RemoveHosts(ctx context.Context, baseDir string) error {
	dirs, err := filepath.Glob(filepath.Join(filepath.Clean(baseDir), "*", "*"))
	if err != nil {
		return errors.Wrap(err, errListMachines)
	}
	for _, dir := range dirs {
		if err := removeHost(ctx, dir); err != nil {
			return err
		}
	}
	return nil
}
