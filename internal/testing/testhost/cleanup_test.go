package testhost

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A pidStart names a process by its PID and start time, so that a PID the
// kernel reuses later is not taken for the same process.
type pidStart struct {
	pid   int
	start string
}

// procStart returns the start time of pid from /proc/PID/stat, and whether
// the process runs: false when it is gone or a zombie.
func procStart(pid int) (string, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return "", false
	}
	// The command name, in parentheses, may hold spaces; fields count from
	// after it: state is field 3 and starttime field 22.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 20 || f[0] == "Z" {
		return "", false
	}
	return f[19], true
}

// TestCleanupRemovesEverything runs a test with a network of two hosts,
// one with a sudo login user, and a process started in a host, and checks
// after its cleanup that nothing it made is left: no namespace, link,
// bridge, lock, directory, user, sudoers drop-in or process.
func TestCleanupRemovesEverything(t *testing.T) {
	var (
		bridge, lock, dir, sudoUser string
		namespaces                  []string
		procs                       []pidStart
	)
	t.Run("Network", func(t *testing.T) {
		n := NewNetwork(t)
		a, b := n.Host(t, "a"), n.Host(t, "b", WithSudoUser())
		a.Start(t, "sleep", "3600")
		bridge, lock, dir, sudoUser = n.Bridge(), n.subnet.lock.Name(), n.dir, b.User()
		for _, h := range []*Host{a, b} {
			namespaces = append(namespaces, h.Namespace())
			for _, pid := range h.Processes(t) {
				if start, ok := procStart(pid); ok {
					procs = append(procs, pidStart{pid, start})
				}
			}
		}
		// sshd of each host, and sleep.
		if len(procs) < 3 {
			t.Fatalf("the hosts run %v; want at least their two sshd and sleep", procs)
		}
	})
	if bridge == "" {
		t.Fatal("the network was not made")
	}

	for _, ns := range namespaces {
		for _, path := range []string{filepath.Join("/run/netns", ns), filepath.Join("/sys/class/net", ns)} {
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("after the cleanup, %s is left (%v)", path, err)
			}
		}
	}
	for _, path := range []string{filepath.Join("/sys/class/net", bridge), lock, dir, filepath.Join("/etc/sudoers.d", sudoUser)} {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("after the cleanup, %s is left (%v)", path, err)
		}
	}
	if _, err := user.Lookup(sudoUser); err == nil {
		t.Errorf("after the cleanup, user %s is left", sudoUser)
	}
	for _, p := range procs {
		if start, ok := procStart(p.pid); ok && start == p.start {
			t.Errorf("after the cleanup, process %d still runs", p.pid)
		}
	}
}
