package pgvm

import (
	"context"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errRun    = "cannot run %s"
	errFailed = "%s exited with %d: %s"
)

func q(s string) string { return executor.ShellQuote(s) }

// run runs cmd and fails unless it exits 0. what names the command in the
// error; commands carry no secrets, so the error may quote stderr.
func run(ctx context.Context, e executor.Executor, what, cmd string) (executor.Result, error) {
	res, err := e.Run(ctx, cmd, nil)
	if err != nil {
		return res, errors.Wrapf(err, errRun, what)
	}
	if res.ExitCode != 0 {
		return res, errors.Errorf(errFailed, what, res.ExitCode, output(res))
	}
	return res, nil
}

// output is what a failed command said, stderr first.
func output(res executor.Result) string {
	if s := strings.TrimSpace(res.Stderr); s != "" {
		return s
	}
	return strings.TrimSpace(res.Stdout)
}
