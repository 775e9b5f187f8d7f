package steps

import (
	"context"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errRun    = "cannot run %s"
	errFailed = "%s exited with %d: %s"

	// exitMissing is what check scripts exit with when the path they look
	// at does not exist: a code stat and friends never use.
	exitMissing = 44
)

// run runs cmd and fails unless it exits 0. Steps put no secrets on command
// lines (file content goes through stdin), so the command and its stderr are
// safe to put in the error.
func run(ctx context.Context, e executor.Executor, cmd string) (executor.Result, error) {
	return runScript(ctx, e, cmd, cmd)
}

// runScript is run for a script, which errors call what rather than quote
// in full.
func runScript(ctx context.Context, e executor.Executor, what, script string) (executor.Result, error) {
	res, err := e.Run(ctx, script, nil)
	if err != nil {
		return res, errors.Wrapf(err, errRun, what)
	}
	if res.ExitCode != 0 {
		return res, errors.Errorf(errFailed, what, res.ExitCode, strings.TrimSpace(res.Stderr))
	}
	return res, nil
}

// q quotes one shell word.
func q(s string) string { return executor.ShellQuote(s) }
