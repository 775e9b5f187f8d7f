package pgtest

import (
	"net"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestServersSkipsUntitledBackend reproduces what made tests see two
// postmasters on one data directory: a connection whose startup packet has
// not arrived yet has a forked backend that still carries the postmaster's
// command line. Servers must count the postmaster only, and OneServer must
// agree with postmaster.pid.
func TestServersSkipsUntitledBackend(t *testing.T) {
	s := Start(t)
	postmaster := OneServer(t, s.DataDir())

	// Connect and say nothing: the postmaster forks a backend that waits for
	// the startup packet (authentication_timeout, a minute by default)
	// under the postmaster's title.
	conn, err := net.Dial("tcp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	postmasterArgs := mustArgs(t, postmaster)
	var backend int
	deadline := time.Now().Add(30 * time.Second)
	for backend == 0 {
		procs, err := postgresProcesses(s.DataDir())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range procs {
			if p.ppid == postmaster && slices.Equal(p.args, postmasterArgs) {
				backend = p.pid
			}
		}
		if backend == 0 && time.Now().After(deadline) {
			t.Fatalf("no forked backend with the postmaster's command line appeared; processes:\n%s", Describe(s.DataDir()))
		}
		time.Sleep(20 * time.Millisecond)
	}

	if got := Servers(t, s.DataDir()); !slices.Equal(got, []int{postmaster}) {
		t.Errorf("Servers() = %v, want only the postmaster %d (backend %d); processes:\n%s", got, postmaster, backend, Describe(s.DataDir()))
	}
	if got := OneServer(t, s.DataDir()); got != postmaster {
		t.Errorf("OneServer() = %d, want %d", got, postmaster)
	}
}

// TestServersNoneWhenStopped counts no server on a stopped data directory.
func TestServersNoneWhenStopped(t *testing.T) {
	s := Start(t)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Resume() }) // Start's cleanup stops it again.
	if got := Servers(t, s.DataDir()); len(got) != 0 {
		t.Errorf("Servers() = %v on a stopped server, want none; processes:\n%s", got, Describe(s.DataDir()))
	}
}

func mustArgs(t *testing.T, pid int) []string {
	t.Helper()
	p, ok := readProcess(pid)
	if !ok {
		t.Fatalf("process %d is gone", pid)
	}
	return p.args
}
