package localenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// A process is one component of the local environment running as a child
// process, with its output in a log file.
type process struct {
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

// startProcess starts bin with args and env (added to this process's
// environment), writing its output to logPath.
func startProcess(name, logPath, bin string, args, env []string) (*process, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, errors.Wrapf(err, "cannot open the log file of %s", name)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), env...)
	// A process group of its own, so a Ctrl-C in the terminal reaches the
	// supervisor only and components stop in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, errors.Wrapf(err, "cannot start %s", name)
	}
	p := &process{name: name, log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		_ = f.Close()
		close(p.done)
	}()
	return p, nil
}

// PID of the process.
func (p *process) PID() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process to end with SIGTERM and kills it, by its PID, when it
// has not ended within the grace period.
func (p *process) stop(grace time.Duration) {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// waitForPort waits until something accepts connections on a loopback port,
// or the process ends, or ctx is done.
func waitForPort(ctx context.Context, p *process, port int) error {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.Close()
			return nil
		}
		if p.Exited() {
			return errors.Errorf("%s exited before listening on %s: see %s", p.name, addr, p.log)
		}
		select {
		case <-ctx.Done():
			return errors.Wrapf(ctx.Err(), "%s did not listen on %s: see %s", p.name, addr, p.log)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
