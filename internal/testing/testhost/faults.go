package testhost

import (
	"net/netip"
	"testing"
)

// The faults a test can cause a host. Each is real: a link goes down,
// packets are dropped, processes die; nothing is simulated in the code
// under test.

// Partition takes the host's link down: nothing reaches the host and the
// host reaches nothing, while its processes keep running, as when a
// machine's network fails.
func (h *Host) Partition(t testing.TB) {
	t.Helper()
	if _, err := ip("link", "set", h.ns, "down"); err != nil {
		t.Fatal(err)
	}
}

// Heal brings the host's link back up after Partition.
func (h *Host) Heal(t testing.TB) {
	t.Helper()
	if _, err := ip("link", "set", h.ns, "up"); err != nil {
		t.Fatal(err)
	}
}

// PowerOff stops every process of the host with SIGKILL, as pulling the
// plug would, and returns once none is left. The host's directory stays,
// as a disk does.
func (h *Host) PowerOff(t testing.TB) {
	t.Helper()
	if err := killNamespace(h.ns); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.sshd = nil
	h.mu.Unlock()
}

// PowerOn starts the host's sshd again after PowerOff, and only it: as a
// machine boots, whatever else ran comes back when something starts it.
func (h *Host) PowerOn(t testing.TB) {
	t.Helper()
	h.startSSHD(t)
}

// Block cuts the host off from each of peers while it stays on the
// network for the others: the partition that only some see, as when the
// provider (the network's Gateway) loses sight of a primary that its
// replicas still reach. It is a blackhole route in the host's namespace:
// the host sends nothing to a peer, so no connection between them
// completes, whichever side opens it (a peer's packets may still arrive;
// nothing answers them).
func (h *Host) Block(t testing.TB, peers ...netip.Addr) {
	t.Helper()
	for _, p := range peers {
		if _, err := ip("-n", h.ns, "route", "add", "blackhole", netip.PrefixFrom(p, p.BitLen()).String()); err != nil {
			t.Fatal(err)
		}
	}
}

// Unblock lets the traffic between the host and each of peers through
// again after Block.
func (h *Host) Unblock(t testing.TB, peers ...netip.Addr) {
	t.Helper()
	for _, p := range peers {
		if _, err := ip("-n", h.ns, "route", "del", "blackhole", netip.PrefixFrom(p, p.BitLen()).String()); err != nil {
			t.Fatal(err)
		}
	}
}
