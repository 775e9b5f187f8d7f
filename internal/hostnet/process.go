package hostnet

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// WaitDeadline bounds the waits for a process to end after SIGKILL and
// for sshd to listen: long, since the machine is shared and loaded, and a
// wait ends as soon as what it waits for happens.
const WaitDeadline = 2 * time.Minute

// A Process is one started inside a namespace and held by this process,
// which waits for it: it is reaped as soon as it ends, so its PID is never
// a zombie's and never reused while we hold it.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// StartIn starts argv inside the network namespace ns, with its output
// appended to logPath. `ip netns exec` enters the namespace and execs argv,
// so the PID is argv's own.
func StartIn(ns, logPath string, argv ...string) (*Process, error) {
	if len(argv) == 0 {
		return nil, errors.New("no command to start")
	}
	log, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, errors.Wrapf(err, "cannot open %s", logPath)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	cmd.Stdout, cmd.Stderr = log, log
	// A process group of its own keeps the test's terminal signals (^C)
	// from reaching it before the cleanup does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, errors.Wrapf(err, "cannot start %s in %s", argv[0], ns)
	}
	_ = log.Close()
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	if err := p.waitEntered(ns); err != nil {
		_ = p.Kill()
		return nil, err
	}
	return p, nil
}

// waitEntered waits until the process is inside the namespace ns: `ip netns
// exec` enters it a moment after it starts, and a caller that lists the
// namespace's processes at once must find it there.
func (p *Process) waitEntered(ns string) error {
	want, err := os.Stat(filepath.Join("/run/netns", ns))
	if err != nil {
		return errors.Wrapf(err, "cannot find the namespace %s", ns)
	}
	deadline := time.Now().Add(WaitDeadline)
	for {
		got, err := os.Stat(filepath.Join("/proc", strconv.Itoa(p.PID()), "ns", "net"))
		switch {
		case err == nil && os.SameFile(want, got):
			return nil
		case p.Exited():
			return errors.Errorf("process %d ended before entering %s", p.PID(), ns)
		case time.Now().After(deadline):
			return errors.Errorf("process %d is not in %s after %s", p.PID(), ns, WaitDeadline)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// PID is the process's ID.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Kill sends SIGKILL unless the process has ended, and waits for its end.
// os.Process signals through a pidfd, so a PID reused after the end is
// never signalled.
func (p *Process) Kill() error {
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return errors.Wrapf(err, "cannot kill process %d", p.PID())
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(WaitDeadline):
		return errors.Errorf("process %d still runs %s after SIGKILL", p.PID(), WaitDeadline)
	}
}

// KillNamespace sends SIGKILL to every process of the network namespace ns
// until none is left (a process may fork while the others die), then waits
// until each is gone from the process table. A killed process leaves the
// namespace's list early in its exit, and stays a zombie until its parent,
// often PID 1 for a daemon, reaps it; until then its PID looks alive to
// kill(pid, 0), and a postmaster started on the same data directory after
// a power-off would take the zombie for a server still running.
func KillNamespace(ctx context.Context, ns string) error {
	return killUntilNone(ctx, ns, func() ([]int, error) { return NamespacePIDs(ctx, ns) })
}

// A Stat is what /proc/PID/stat says of a process that this package needs.
type Stat struct {
	// State is R, S, D, Z (a zombie) and so on.
	State string
	// Start is the time the process started, in clock ticks after boot:
	// with the PID, it names one process, since the kernel reuses PIDs.
	Start string
}

// ReadStat reads /proc/PID/stat; false when there is no such process.
func ReadStat(pid int) (Stat, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return Stat{}, false
	}
	// The command name, in parentheses, may hold spaces and parentheses:
	// the fields after the last ')' start with the state, field 3, so
	// starttime, field 22, is the 20th.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 20 {
		return Stat{}, false
	}
	return Stat{State: f[0], Start: f[19]}, true
}
