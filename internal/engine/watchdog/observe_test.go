package watchdog

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestServerRunsAsNoStandby: a sleep started in a data directory stands in
// for a postmaster, alive and working there.
func TestServerRunsAsNoStandby(t *testing.T) {
	cases := map[string]struct {
		reason string
		// pid is postmaster.pid's content; %PID% is the stand-in's PID.
		pid       string
		signal    string
		elsewhere bool
		want      bool
	}{
		"Runs":            {reason: "A live postmaster working in the directory, no standby mark: it may be a primary.", pid: "%PID%\n/data\n", want: true},
		"Standby":         {reason: "standby.signal marks a replica.", pid: "%PID%\n", signal: standbySignal},
		"Recovering":      {reason: "recovery.signal marks a server that recovers, not a primary.", pid: "%PID%\n", signal: recoverySignal},
		"NoPIDFile":       {reason: "No postmaster.pid: no server runs."},
		"DeadPID":         {reason: "A PID no process has (above Linux's highest) is a server that died.", pid: "4194305\n"},
		"Garbage":         {reason: "A PID file that does not start with a PID names no server.", pid: "not a pid\n"},
		"ReusedByAnother": {reason: "A live PID working elsewhere is another process that took a dead postmaster's PID.", pid: "%PID%\n", elsewhere: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command("sleep", "300")
			cmd.Dir = dir
			if tc.elsewhere {
				cmd.Dir = t.TempDir()
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			if tc.pid != "" {
				content := strings.ReplaceAll(tc.pid, "%PID%", strconv.Itoa(cmd.Process.Pid))
				if err := os.WriteFile(filepath.Join(dir, postmasterPID), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.signal != "" {
				if err := os.WriteFile(filepath.Join(dir, tc.signal), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if got := serverRunsAsNoStandby(dir); got != tc.want {
				t.Errorf("%s\nserverRunsAsNoStandby: want %v, got %v", tc.reason, tc.want, got)
			}
		})
	}
}
