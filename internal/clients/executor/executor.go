// Package executor runs commands and moves files on one machine, either this
// host or a VM reached over SSH, so that engine code is written once for both.
package executor

import (
	"context"
	"io"
	"io/fs"
)

// A Result is what a command that ran left behind. A non-zero ExitCode is a
// result, not an error: callers such as idempotency checks ask questions
// whose answer is the exit code.
type Result struct {
	Stdout   string
	Stderr   string
	ExitCode int
}

// An Executor runs commands and moves files on one machine.
type Executor interface {
	// Run runs cmd with sh -c, feeding it stdin when stdin is not nil. The
	// error is non-nil only when the command could not be run at all, or
	// ctx ended first; a non-zero exit is in the Result.
	Run(ctx context.Context, cmd string, stdin io.Reader) (Result, error)

	// WriteFile replaces path with data and sets its mode. Readers never
	// see a half-written file.
	WriteFile(ctx context.Context, path string, data []byte, mode fs.FileMode) error

	// ReadFile returns the content of path; the error wraps fs.ErrNotExist
	// when there is no such file.
	ReadFile(ctx context.Context, path string) ([]byte, error)

	// Close releases the connection, if any.
	Close() error
}
