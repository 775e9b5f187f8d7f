// Package exectest holds test doubles of executor.Executor.
package exectest

import (
	"context"
	"io"
	"io/fs"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

// Recorder is an Executor that records the commands it is given and runs
// none, for steps whose Apply must not run on the test host. Every command
// exits 0; a file written is recorded as "write <path> <mode>"; no file
// exists to be read.
type Recorder struct {
	Cmds []string
}

var _ executor.Executor = (*Recorder)(nil)

// Run records cmd.
func (r *Recorder) Run(_ context.Context, cmd string, _ io.Reader) (executor.Result, error) {
	r.Cmds = append(r.Cmds, cmd)
	return executor.Result{}, nil
}

// WriteFile records the write of path with mode.
func (r *Recorder) WriteFile(_ context.Context, path string, _ []byte, mode fs.FileMode) error {
	r.Cmds = append(r.Cmds, "write "+path+" "+mode.String())
	return nil
}

// ReadFile finds no file.
func (r *Recorder) ReadFile(context.Context, string) ([]byte, error) { return nil, fs.ErrNotExist }

// Close does nothing.
func (r *Recorder) Close() error { return nil }
