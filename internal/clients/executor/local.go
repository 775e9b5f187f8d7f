package executor

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errStart     = "cannot start the command"
	errWait      = "cannot wait for the command"
	errCanceled  = "command did not finish"
	errTemp      = "cannot create a temporary file next to %s"
	errWriteTemp = "cannot write the temporary file for %s"
	errChmod     = "cannot set the mode of %s"
	errRename    = "cannot put %s in place"
	errRead      = "cannot read %s"

	// pipeGrace is how long Run waits for output after the command exited
	// or was killed: a daemon the command started may keep the output pipes
	// open, and Run must not wait for that daemon to exit.
	pipeGrace = 2 * time.Second
)

// Local runs commands on this host. The zero value is ready to use.
type Local struct{}

var _ Executor = Local{}

// Run runs cmd with sh -c on this host.
func (Local) Run(ctx context.Context, cmd string, stdin io.Reader) (Result, error) {
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	var stdout, stderr bytes.Buffer
	c.Stdin, c.Stdout, c.Stderr = stdin, &stdout, &stderr
	c.WaitDelay = pipeGrace
	// The command runs in its own process group, and canceling kills the
	// group: killing only sh would leave what it started running, holding
	// the output open.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	if err := c.Start(); err != nil {
		return Result{}, errors.Wrap(err, errStart)
	}
	err := c.Wait()
	if ctx.Err() != nil {
		return Result{}, errors.Wrap(ctx.Err(), errCanceled)
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) && !errors.Is(err, exec.ErrWaitDelay) {
		return Result{}, errors.Wrap(err, errWait)
	}
	return Result{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: exitCode(c.ProcessState)}, nil
}

// exitCode returns the code a shell would report: 128 plus the signal for
// a killed process, so that Local and SSH report the same number.
func exitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// WriteFile writes data to a temporary file beside path and renames it over
// path, so that a reader sees either the old or the new content.
func (Local) WriteFile(ctx context.Context, path string, data []byte, mode fs.FileMode) error {
	if err := ctx.Err(); err != nil {
		return errors.Wrap(err, errCanceled)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return errors.Wrapf(err, errTemp, path)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return errors.Wrapf(err, errWriteTemp, path)
	}
	if err := f.Close(); err != nil {
		return errors.Wrapf(err, errWriteTemp, path)
	}
	// Chmod rather than trusting the mode at creation, which the umask
	// would narrow.
	if err := os.Chmod(tmp, mode.Perm()); err != nil {
		return errors.Wrapf(err, errChmod, path)
	}
	return errors.Wrapf(os.Rename(tmp, path), errRename, path)
}

// ReadFile reads path on this host.
func (Local) ReadFile(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, errors.Wrap(err, errCanceled)
	}
	b, err := os.ReadFile(path)
	return b, errors.Wrapf(err, errRead, path)
}

// Close does nothing: there is no connection to release.
func (Local) Close() error { return nil }
