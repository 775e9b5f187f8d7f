package testhost

import (
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// stopDeadline bounds the waits for processes to end after SIGKILL: long,
// since the machine is shared and loaded, and a wait that ends early ends
// as soon as the processes are gone.
const stopDeadline = 2 * time.Minute

// A process is one the test started inside a host. It is reaped as soon as
// it ends, so its PID is never a zombie's and never reused while we hold
// it.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startIn starts argv inside the network namespace ns, with its output
// appended to logPath. `ip netns exec` enters the namespace and execs argv,
// so the PID is argv's own.
func startIn(ns, logPath string, argv ...string) (*process, error) {
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
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// pid is the process's ID.
func (p *process) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL unless the process has ended, and waits for its end.
// os.Process signals through a pidfd, so a PID reused after the end is
// never signalled.
func (p *process) kill() error {
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return errors.Wrapf(err, "cannot kill process %d", p.pid())
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopDeadline):
		return errors.Errorf("process %d still runs %s after SIGKILL", p.pid(), stopDeadline)
	}
}

// killNamespace sends SIGKILL to every process of the network namespace ns
// until none is left: a process may fork while the others die.
func killNamespace(ns string) error {
	deadline := time.Now().Add(stopDeadline)
	for {
		pids, err := namespacePIDs(ns)
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.Errorf("processes %v of %s still run %s after SIGKILL", pids, ns, stopDeadline)
		}
		for _, pid := range pids {
			// ESRCH: the process ended since it was listed.
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				return errors.Wrapf(err, "cannot kill process %d of %s", pid, ns)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}
