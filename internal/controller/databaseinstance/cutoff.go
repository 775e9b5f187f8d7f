package databaseinstance

import (
	"context"
	"io"
	"io/fs"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

// cutOff is the executor of a member whose machine the provider could not
// log in to: every command fails with the login's error, so that the
// member reads as unreachable wherever it is asked.
type cutOff struct{ err error }

var _ executor.Executor = cutOff{}

func (c cutOff) Run(context.Context, string, io.Reader) (executor.Result, error) {
	return executor.Result{}, c.err
}

func (c cutOff) WriteFile(context.Context, string, []byte, fs.FileMode) error { return c.err }

func (c cutOff) ReadFile(context.Context, string) ([]byte, error) { return nil, c.err }

func (c cutOff) Close() error { return nil }
