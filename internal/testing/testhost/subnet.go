package testhost

import (
	"crypto/rand"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// lockDir holds one lock file per subnet in use, so that test processes
// running in parallel (go test runs packages as processes of their own)
// never pick the same one.
const lockDir = "/run/dbaas-testhosts"

// A subnet is a /24 of 10.128.0.0/9 that one network owns while it holds
// the subnet's lock.
type subnet struct {
	prefix netip.Prefix
	lock   *os.File
}

// randomSubnet returns a /24 of 10.128.0.0/9, a part of the private range
// that machines seldom route, so that a clash with a real route is rare and
// one with another test's subnet is caught by the lock.
func randomSubnet() netip.Prefix {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 128 + b[0]%127, b[1], 0}), 24)
}

// name is the stem of the subnet's link and namespace names: "dbth" and the
// second and third octets in hexadecimal, so that a name with a host's
// suffix stays within the 15 characters Linux allows an interface name.
func (s subnet) name() string {
	b := s.prefix.Addr().As4()
	return fmt.Sprintf("dbth%02x%02x", b[1], b[2])
}

// addr returns the subnet's address whose last octet is n.
func (s subnet) addr(n int) netip.Addr {
	b := s.prefix.Addr().As4()
	b[3] = byte(n)
	return netip.AddrFrom4(b)
}

// routedPrefixes returns the IPv4 destinations of the lines `ip -o -4 route
// show table all` prints, skipping the default route, which every subnet
// would overlap.
func routedPrefixes(out string) []netip.Prefix {
	var ps []netip.Prefix
	for line := range strings.Lines(out) {
		for _, f := range strings.Fields(line) {
			if f == "default" {
				break
			}
			if p, err := netip.ParsePrefix(f); err == nil {
				ps = append(ps, p)
				break
			}
			if a, err := netip.ParseAddr(f); err == nil {
				ps = append(ps, netip.PrefixFrom(a, a.BitLen()))
				break
			}
		}
	}
	return ps
}

// overlapsAny reports whether p overlaps one of ps.
func overlapsAny(p netip.Prefix, ps []netip.Prefix) bool {
	for _, q := range ps {
		if p.Overlaps(q) {
			return true
		}
	}
	return false
}

// allocateSubnet picks a subnet that no route of this machine uses and no
// other network holds, and locks it. The lock is an flock on a file of
// lockDir, which the kernel releases when the process ends however it ends;
// the file itself is removed by release.
func allocateSubnet() (*subnet, error) {
	if err := os.MkdirAll(lockDir, 0o755); err != nil {
		return nil, errors.Wrapf(err, "cannot make %s", lockDir)
	}
	for range 50 {
		s, err := tryLock(randomSubnet())
		if err != nil {
			return nil, err
		}
		if s == nil {
			continue
		}
		free, err := s.unused()
		if err != nil || free {
			if err != nil {
				s.release()
			}
			return s, err
		}
		s.release()
	}
	return nil, errors.New("cannot find a free /24 in 10.128.0.0/9 after 50 tries")
}

// tryLock takes the lock of p, or returns nil when another network holds
// it.
func tryLock(p netip.Prefix) (*subnet, error) {
	path := filepath.Join(lockDir, p.Addr().String()+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, errors.Wrapf(err, "cannot open %s", path)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, nil
		}
		return nil, errors.Wrapf(err, "cannot lock %s", path)
	}
	// The holder before us may have removed the file between our open and
	// our lock: then we hold the lock of a file nobody else will open, and
	// a third process may lock a new file of that name. Only a lock on the
	// file that is still there counts.
	var held, current syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &held); err != nil {
		_ = f.Close()
		return nil, errors.Wrapf(err, "cannot stat %s", path)
	}
	removed := false
	switch err := syscall.Stat(path, &current); {
	case errors.Is(err, syscall.ENOENT):
		removed = true
	case err != nil:
		_ = f.Close()
		return nil, errors.Wrapf(err, "cannot stat %s", path)
	}
	if removed || held.Ino != current.Ino || held.Dev != current.Dev {
		_ = f.Close()
		return nil, nil
	}
	return &subnet{prefix: p, lock: f}, nil
}

// unused reports whether no route overlaps the subnet and nothing named
// after it is left over, say by a test process that was killed before its
// cleanup ran: that is not ours to remove.
func (s *subnet) unused() (bool, error) {
	out, err := exec.Command("ip", "-o", "-4", "route", "show", "table", "all").Output()
	if err != nil {
		return false, errors.Wrap(err, "cannot list the routes")
	}
	if overlapsAny(s.prefix, routedPrefixes(string(out))) {
		return false, nil
	}
	if _, err := os.Stat(filepath.Join("/sys/class/net", s.name()+"-br")); err == nil {
		return false, nil
	}
	left, _ := filepath.Glob(filepath.Join("/run/netns", s.name()+"-*"))
	return len(left) == 0, nil
}

// release removes the lock file and then lets go of the lock, in this order
// so that a process waiting on the file learns from its inode that the lock
// it gets is stale. Releasing twice does nothing: the file may be another
// network's by then.
func (s *subnet) release() {
	if s.lock == nil {
		return
	}
	_ = os.Remove(s.lock.Name())
	_ = s.lock.Close()
	s.lock = nil
}
