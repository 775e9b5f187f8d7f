package hostnet

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// MaxLinkName is the longest interface name Linux allows.
const MaxLinkName = 15

// linkExists reports whether an interface of the name exists in this
// network namespace.
func linkExists(name string) bool {
	_, err := os.Stat(filepath.Join("/sys/class/net", name))
	return err == nil
}

// NamespaceExists reports whether the named network namespace exists.
func NamespaceExists(ns string) bool {
	_, err := os.Stat(filepath.Join("/run/netns", ns))
	return err == nil
}

// EnsureBridge makes the bridge name holding gateway (an address with its
// prefix length, the hosts' subnet) and brings it up; a bridge that exists
// is kept and given the address if it lacks it. Forwarding delay 0 makes a
// port usable at once, so a host is reachable as soon as its link is up.
func EnsureBridge(ctx context.Context, name string, gateway netip.Prefix) error {
	if len(name) > MaxLinkName {
		return errors.Errorf("bridge name %q is longer than %d characters", name, MaxLinkName)
	}
	if !linkExists(name) {
		if _, err := IP(ctx, "link", "add", name, "type", "bridge", "forward_delay", "0"); err != nil {
			return err
		}
	}
	out, err := IP(ctx, "-o", "-4", "addr", "show", "dev", name)
	if err != nil {
		return err
	}
	if !strings.Contains(out, " "+gateway.String()+" ") {
		if _, err := IP(ctx, "addr", "add", gateway.String(), "dev", name); err != nil {
			return err
		}
	}
	_, err = IP(ctx, "link", "set", name, "up")
	return err
}

// RemoveLink removes the interface name if it exists. A veth whose peer's
// namespace was just removed goes a moment later by itself: a link gone
// between the look and the removal is not an error.
func RemoveLink(ctx context.Context, name string) error {
	if !linkExists(name) {
		return nil
	}
	if _, err := IP(ctx, "link", "del", name); err != nil && linkExists(name) {
		return err
	}
	return nil
}

// EnsureNamespace makes the network namespace ns, joined to bridge by a
// veth whose end on the bridge is also named ns and whose end inside is
// eth0 with addr (an address with its prefix length), and brings its links
// and loopback up. Each step is skipped when done, so a host cut short is
// finished by the next call.
func EnsureNamespace(ctx context.Context, ns, bridge string, addr netip.Prefix) error {
	if len(ns) > MaxLinkName {
		return errors.Errorf("namespace name %q is longer than %d characters, as its link's name would be", ns, MaxLinkName)
	}
	if !NamespaceExists(ns) {
		if _, err := IP(ctx, "netns", "add", ns); err != nil {
			return err
		}
	}
	if !linkExists(ns) {
		if _, err := IP(ctx, "link", "add", ns, "type", "veth", "peer", "name", "eth0", "netns", ns); err != nil {
			return err
		}
	}
	out, err := IP(ctx, "-n", ns, "-o", "-4", "addr", "show", "dev", "eth0")
	if err != nil {
		return err
	}
	steps := [][]string{{"link", "set", ns, "master", bridge, "up"}}
	if !strings.Contains(out, " "+addr.String()+" ") {
		steps = append(steps, []string{"-n", ns, "addr", "add", addr.String(), "dev", "eth0"})
	}
	steps = append(steps, []string{"-n", ns, "link", "set", "eth0", "up"}, []string{"-n", ns, "link", "set", "lo", "up"})
	for _, args := range steps {
		if _, err := IP(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// RemoveNamespace kills every process of the namespace ns, removes it (its
// veth goes with it), the veth's end on the bridge should it be left, and
// its files of /etc/netns. A namespace that does not exist is not an error.
func RemoveNamespace(ctx context.Context, ns string) error {
	if NamespaceExists(ns) {
		if err := KillNamespace(ctx, ns); err != nil {
			return err
		}
		if _, err := IP(ctx, "netns", "del", ns); err != nil {
			return err
		}
	}
	if err := RemoveLink(ctx, ns); err != nil {
		return err
	}
	return removeEtc(ns)
}
