package postgresql

import (
	"context"
	"io"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errRun    = "%s failed: %s"
	errNotRun = "cannot run %s"
	errNoExec = "the instance has no executor: it is built with NewInstance"
	errShell  = "%s: %s"

	// engineUser is who PostgreSQL runs as when the executor runs as root:
	// initdb and postgres refuse to run as root.
	engineUser = "postgres"
)

// asEngine returns the command line that runs args as the engine user in
// dir with the built environment (engineEnv, plus env). It drops to the
// engine user only when the executor runs as root, which the machine's shell
// finds out itself: the provider does not know who an SSH login becomes
// after sudo. The environment is in the command line, so env must never
// hold a secret; passwords reach programs through files of mode 0600.
func asEngine(dir string, env []string, args ...string) string {
	envArgs := append([]string{"env", "-i"}, append(engineEnv(), env...)...)
	drop := []string{"setpriv", "--reuid=" + engineUser, "--regid=" + engineUser, "--init-groups", "--"}
	as := executor.ShellCommand(append(append(append([]string{}, envArgs...), drop...), args...)...)
	self := executor.ShellCommand(append(envArgs, args...)...)
	// The working directory is one the engine user can read: PostgreSQL's
	// programs complain about one they cannot.
	return "cd " + executor.ShellQuote(dir) + " && if [ \"$(id -u)\" -eq 0 ]; then exec " + as + "; else exec " + self + "; fi"
}

// exec returns the instance's executor; an instance without one is a
// programming error, reported rather than run on some default machine.
func (i *Instance) exec() (executor.Executor, error) {
	if i.Exec == nil {
		return nil, errors.New(errNoExec)
	}
	return i.Exec, nil
}

// runAs runs args as the engine user in the instance's directory and
// returns what it printed; a non-zero exit is an error holding its output.
// Passwords are never on a command line, so the output is safe to report.
func (i *Instance) runAs(ctx context.Context, env []string, stdin io.Reader, args ...string) (executor.Result, error) {
	x, err := i.exec()
	if err != nil {
		return executor.Result{}, err
	}
	res, err := x.Run(ctx, asEngine(i.Dir, env, args...), stdin)
	if err != nil {
		return res, errors.Wrapf(err, errNotRun, args[0])
	}
	if res.ExitCode != 0 {
		out := strings.TrimSpace(strings.TrimSpace(res.Stdout) + "\n" + strings.TrimSpace(res.Stderr))
		return res, errors.Errorf(errRun, args[0], out)
	}
	return res, nil
}

// run runs bin as the engine user; see runAs.
func (i *Instance) run(ctx context.Context, bin string, args ...string) error {
	_, err := i.runAs(ctx, nil, nil, append([]string{bin}, args...)...)
	return err
}

// runEnv is run with further environment variables, such as PGPASSFILE.
func (i *Instance) runEnv(ctx context.Context, env []string, bin string, args ...string) error {
	_, err := i.runAs(ctx, env, nil, append([]string{bin}, args...)...)
	return err
}

// output runs bin as the engine user and returns its standard output.
func (i *Instance) output(ctx context.Context, bin string, args ...string) (string, error) {
	res, err := i.runAs(ctx, nil, nil, append([]string{bin}, args...)...)
	return res.Stdout, err
}

// shell runs script as the executor's user (root, when the engine drops to
// the engine user) for what the engine user may not do, such as handing a
// directory to it; what is the error message of the step.
func (i *Instance) shell(ctx context.Context, what, script string) (executor.Result, error) {
	x, err := i.exec()
	if err != nil {
		return executor.Result{}, err
	}
	res, err := x.Run(ctx, script, nil)
	if err != nil {
		return res, errors.Wrap(err, what)
	}
	if res.ExitCode != 0 {
		return res, errors.Errorf(errShell, what, strings.TrimSpace(res.Stderr))
	}
	return res, nil
}
