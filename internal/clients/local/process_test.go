package local

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

// startEngine starts a stand-in engine process running in dir and, when
// pidFileDir is not empty, records its PID in a pid file there.
func startEngine(t *testing.T, dir, pidFileDir string) *exec.Cmd {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sleep", "300")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Reap it so that a stopped process does not linger as a zombie, and
	// kill it by PID should the test fail before stopping it.
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	if pidFileDir != "" {
		if err := os.MkdirAll(pidFileDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pidFileDir, PIDFileName), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cmd
}

func TestPowerOffAndDeleteStopEngines(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	b := New(base, 26000, 26099)
	id := machine.ID{Namespace: "ns", Name: "vm"}
	if _, err := b.Create(ctx, id, machine.Spec{CPU: 1, MemoryMiB: 512}); err != nil {
		t.Fatal(err)
	}
	engineDir := filepath.Join(workDir(t, b, id), "postgresql", "pg", "data")
	engine := startEngine(t, engineDir, engineDir)

	// A pid file that names a process of some other directory, as after a
	// PID was reused, must not get that process killed.
	other := startEngine(t, filepath.Join(t.TempDir(), "elsewhere"), filepath.Join(workDir(t, b, id), "postgresql", "stale", "data"))

	if _, err := b.Update(ctx, id, machine.Spec{CPU: 1, MemoryMiB: 512, PowerState: machine.PowerOff}); err != nil {
		t.Fatal(err)
	}
	if Alive(engine.Process.Pid) {
		t.Errorf("Update to Off: engine %d still running", engine.Process.Pid)
	}
	if !Alive(other.Process.Pid) {
		t.Errorf("Update to Off: process %d of another directory was stopped", other.Process.Pid)
	}

	engine2 := startEngine(t, engineDir, engineDir)
	if err := b.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if Alive(engine2.Process.Pid) {
		t.Errorf("Delete: engine %d still running", engine2.Process.Pid)
	}
	if !Alive(other.Process.Pid) {
		t.Errorf("Delete: process %d of another directory was stopped", other.Process.Pid)
	}
	if _, err := os.Stat(workDir(t, b, id)); !os.IsNotExist(err) {
		t.Errorf("Delete: want the machine dir gone, stat says %v", err)
	}
}
