package testhost

import (
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dbaas-io/dbaas/internal/testing/integration"
)

// TestCleanupRemovesEverything runs a test with a network of two hosts,
// one with a sudo login user, and a process started in a host, and checks
// after its cleanup that nothing it made is left: no namespace, link,
// bridge, lock, directory, user, sudoers drop-in or process.
func TestCleanupRemovesEverything(t *testing.T) {
	integration.Needs(t, Needed)
	var (
		bridge, lock, dir, sudoUser string
		namespaces                  []string
		// The start time of each process by PID, since the kernel
		// reuses PIDs.
		procs = map[int]string{}
	)
	t.Run("Network", func(t *testing.T) {
		n := NewNetwork(t)
		a, b := n.Host(t, "a"), n.Host(t, "b", WithSudoUser())
		sleep := a.Start(t, "sleep", "3600")
		if pids := a.Processes(t); !slices.Contains(pids, sleep) {
			t.Errorf("the process Start started (%d) does not run inside the host, whose processes are %v", sleep, pids)
		}
		bridge, lock, dir, sudoUser = n.Bridge(), n.subnet.lock.Name(), n.dir, b.User()
		for _, h := range []*Host{a, b} {
			namespaces = append(namespaces, h.Namespace())
			for _, pid := range h.Processes(t) {
				if st, ok := readStat(pid); ok {
					procs[pid] = st.start
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
	for pid, start := range procs {
		if st, ok := readStat(pid); ok && st.start == start {
			t.Errorf("after the cleanup, process %d is left (state %s)", pid, st.state)
		}
	}
}
