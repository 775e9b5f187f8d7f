package testhost

import (
	"net/netip"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/testing/integration"
)

func TestRoutedPrefixes(t *testing.T) {
	cases := map[string]struct {
		reason string
		out    string
		want   []netip.Prefix
	}{
		"MainAndLocalTables": {
			reason: "Destinations of the main and local tables are read, with or without a route type before them, and the default route is skipped.",
			out: "default via 192.0.2.1 dev eth0 \n" +
				"192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2 \n" +
				"local 192.0.2.2 dev eth0 table local proto kernel scope host src 192.0.2.2 \n" +
				"broadcast 192.0.2.255 dev eth0 table local proto kernel scope link src 192.0.2.2 \n" +
				"unreachable 10.200.0.0/16 \n",
			want: []netip.Prefix{
				netip.MustParsePrefix("192.0.2.0/24"),
				netip.MustParsePrefix("192.0.2.2/32"),
				netip.MustParsePrefix("192.0.2.255/32"),
				netip.MustParsePrefix("10.200.0.0/16"),
			},
		},
		"Empty": {
			reason: "No routes, no destinations.",
			out:    "",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, routedPrefixes(tc.out), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("%s\nroutedPrefixes(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestOverlapsAny(t *testing.T) {
	routes := []netip.Prefix{netip.MustParsePrefix("10.200.0.0/16"), netip.MustParsePrefix("192.0.2.2/32")}
	cases := map[string]struct {
		reason string
		p      string
		want   bool
	}{
		"Inside":    {reason: "A /24 inside a routed /16 is taken.", p: "10.200.7.0/24", want: true},
		"Covering":  {reason: "A /24 holding a routed address is taken.", p: "192.0.2.0/24", want: true},
		"Elsewhere": {reason: "A /24 no route touches is free.", p: "10.201.7.0/24", want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := overlapsAny(netip.MustParsePrefix(tc.p), routes); got != tc.want {
				t.Errorf("%s\noverlapsAny(%s): got %t, want %t", tc.reason, tc.p, got, tc.want)
			}
		})
	}
}

func TestSubnetNames(t *testing.T) {
	s := subnet{prefix: netip.MustParsePrefix("10.254.255.0/24")}
	// The longest interface name: the bridge, or a veth of host 254.
	for _, name := range []string{s.name() + "-br", s.name() + "-h254"} {
		if len(name) > 15 {
			t.Errorf("interface name %q has %d characters; Linux allows 15", name, len(name))
		}
	}
	if got, want := s.name(), "dbthfeff"; got != want {
		t.Errorf("name: got %q, want %q", got, want)
	}
	if got, want := s.addr(1), netip.MustParseAddr("10.254.255.1"); got != want {
		t.Errorf("addr(1): got %s, want %s", got, want)
	}
	for range 100 {
		if p := randomSubnet(); !netip.MustParsePrefix("10.128.0.0/9").Contains(p.Addr()) || p.Bits() != 24 {
			t.Fatalf("randomSubnet returned %s, outside 10.128.0.0/9 or not a /24", p)
		}
	}
}

// TestSubnetLock checks that a subnet's lock keeps a second network off it
// until the first lets it go. flock locks belong to an open file, so a
// second open in the same process stands for another test process.
func TestSubnetLock(t *testing.T) {
	integration.Needs(t, Needed)
	if err := os.MkdirAll(lockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var first *subnet
	for first == nil {
		var err error
		if first, err = tryLock(randomSubnet()); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(first.release)
	path := first.lock.Name()

	second, err := tryLock(first.prefix)
	if err != nil {
		t.Fatal(err)
	}
	if second != nil {
		second.release()
		t.Fatalf("a second network locked %s while the first held it", first.prefix)
	}

	first.release()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("after release, the lock file %s is left (%v)", path, err)
	}
	third, err := tryLock(first.prefix)
	if err != nil {
		t.Fatal(err)
	}
	if third == nil {
		t.Fatalf("%s stays locked after the first network let it go", first.prefix)
	}
	t.Cleanup(third.release)
}
