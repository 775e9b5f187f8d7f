package postgresql

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

// startNaming starts a process whose command line holds arg, as pg_ctl's
// and initdb's hold -D and the data directory, and stops it when the test
// ends.
func startNaming(t *testing.T, arg string) int {
	t.Helper()
	p := exec.Command("sh", "-c", "sleep 600", arg)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = p.Wait(); close(done) }()
	t.Cleanup(func() { _ = p.Process.Kill(); <-done })
	return p.Process.Pid
}

// TestProcessesIn: the scan finds processes whose command line names the
// directory or a path in it, and processes working in it, also for a
// directory whose name holds characters a regular expression interprets;
// a process naming another directory that only starts with the same
// characters is not taken for one.
func TestProcessesIn(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a.b[1]*$^")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	i := &Instance{Exec: executor.Local{}, Dir: dir}
	named := startNaming(t, dir)
	inside := startNaming(t, filepath.Join(dir, "postmaster.pid"))
	working, _ := busyProcess(t, dir)
	other := startNaming(t, dir+"x")
	lookalike := startNaming(t, filepath.Join(filepath.Dir(dir), "aXb11$^"))

	got, err := i.processesIn(context.Background(), dir)
	if err != nil {
		t.Fatalf("processesIn: %v", err)
	}
	for name, pid := range map[string]int{"naming the directory": named, "naming a file in it": inside, "working in it": working.Process.Pid} {
		if !slices.Contains(got, pid) {
			t.Errorf("processesIn(%q) = %v: want the process %s (%d)", dir, got, name, pid)
		}
	}
	for name, pid := range map[string]int{"naming a longer directory": other, "naming a directory a regular expression would match": lookalike} {
		if slices.Contains(got, pid) {
			t.Errorf("processesIn(%q) = %v: want no process %s (%d)", dir, got, name, pid)
		}
	}
	if slices.Contains(got, os.Getpid()) {
		t.Errorf("processesIn(%q) = %v: the test itself does not run in the directory", dir, got)
	}
}
