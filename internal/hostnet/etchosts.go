package hostnet

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// netnsEtc holds a directory per namespace whose files `ip netns exec NS`
// bind-mounts over those of /etc for the processes it starts, sshd and
// whatever its sessions start: /etc/netns/NS/hosts is their /etc/hosts.
// iproute2 never removes it; RemoveNamespace does.
const netnsEtc = "/etc/netns"

// hostsName is a DNS name as /etc/hosts may hold one: nothing that would
// start another field or line.
var hostsName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// A HostsEntry is one line of /etc/hosts: an address and its names.
type HostsEntry struct {
	Addr  netip.Addr
	Names []string
}

// HostsFile returns base, the provider's host's /etc/hosts, followed by
// entries, or why an entry cannot be a line of it. localhost is refused:
// it stays each host's own loopback.
func HostsFile(base []byte, entries []HostsEntry) ([]byte, error) {
	var b bytes.Buffer
	b.Write(base)
	if len(base) > 0 && base[len(base)-1] != '\n' {
		b.WriteByte('\n')
	}
	if len(entries) > 0 {
		b.WriteString("# The provider config's spec.local.network.hostAliases.\n")
	}
	for _, e := range entries {
		if !e.Addr.IsValid() || len(e.Names) == 0 {
			return nil, errors.Errorf("a host alias needs an address and at least one name, got %s %v", e.Addr, e.Names)
		}
		for _, n := range e.Names {
			if len(n) > 253 || !hostsName.MatchString(n) {
				return nil, errors.Errorf("host alias %q is not a DNS name of lower-case letters, digits, '-' and '.'", n)
			}
			if n == "localhost" || strings.HasSuffix(n, ".localhost") {
				return nil, errors.Errorf("host alias %q: localhost is the host's own loopback", n)
			}
		}
		b.WriteString(e.Addr.String() + "\t" + strings.Join(e.Names, " ") + "\n")
	}
	return b.Bytes(), nil
}

// WriteHosts makes content the /etc/hosts of the processes `ip netns exec`
// starts in ns from now on. The file is rewritten in place, never replaced
// by a rename: the /etc/hosts of processes started earlier is a bind mount
// of it, which then sees the change at once. Content that is there already
// is not written again.
func WriteHosts(ns string, content []byte) error {
	dir, err := etcDir(ns)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "hosts")
	if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, content) {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrapf(err, "cannot make %s", dir)
	}
	return errors.Wrapf(os.WriteFile(path, content, 0o644), "cannot write %s", path)
}

// removeEtc removes the namespace's files of /etc/netns, if any.
func removeEtc(ns string) error {
	dir, err := etcDir(ns)
	if err != nil {
		return err
	}
	return errors.Wrapf(os.RemoveAll(dir), "cannot remove %s", dir)
}

// etcDir is /etc/netns/ns, for a namespace name that is one plain name.
func etcDir(ns string) (string, error) {
	if ns == "" || len(ns) > MaxLinkName || strings.ContainsAny(ns, "/\x00") || ns == "." || ns == ".." {
		return "", errors.Errorf("namespace name %q cannot name a directory of %s", ns, netnsEtc)
	}
	return filepath.Join(netnsEtc, ns), nil
}
