package testproc

import (
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// stopTimeout bounds the wait for a server to shut down, so that a broken
// server fails the test instead of hanging it; it is not an expectation.
const stopTimeout = 60 * time.Second

// A Process is a running server.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // how it exited; set before done is closed
}

// StartProcess runs cmd, as made by runas.User.Command, with its output in
// logFile.
func StartProcess(logFile string, cmd *exec.Cmd) (*Process, error) {
	log, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, errors.Wrap(err, "cannot create the server log")
	}
	// The child has its own copy of the descriptor.
	defer func() { _ = log.Close() }()
	cmd.Stdout, cmd.Stderr = log, log
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// A test binary that dies (a panic, a -timeout) takes its server with
	// it instead of leaving it running. Go sets the signal after switching
	// to the server's user, so, unlike with setpriv, the switch does not
	// clear it.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		return nil, errors.Wrapf(err, "cannot run %s", cmd.Path)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// PID is the process's ID.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed once the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Stop sends SIGTERM to the server's process, by its PID, and waits until it
// has shut down; it kills it when it does not.
func (p *Process) Stop() error {
	select {
	case <-p.done:
		return errors.Errorf("the server had already exited (%v)", p.err)
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return errors.Wrap(err, "cannot signal the server")
	}
	select {
	case <-p.done:
		return errors.Wrap(p.err, "the server did not shut down cleanly")
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return errors.Errorf("the server did not stop within %s of SIGTERM and was killed", stopTimeout)
	}
}
