package pgvm

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errRun    = "cannot run %s"
	errFailed = "%s exited with %d: %s"
	errStat   = "cannot parse what stat said about %s: %q"

	// exitMissing is what check scripts exit with when the path they look
	// at does not exist: a code stat and friends never use.
	exitMissing = 44
)

func q(s string) string { return executor.ShellQuote(s) }

// asUser returns a command line that runs args as user when the executor
// is root (initdb, pg_ctl and postgres refuse to run as root), and as
// itself otherwise. It runs from / with the C locale, so that the user can
// read its working directory and messages are in English whatever the
// machine's locale; errors quote them.
func asUser(user string, args ...string) string {
	cmd := "env LC_ALL=C " + executor.ShellCommand(args...)
	u := q(user)
	return `cd / && if [ "$(id -u)" -eq 0 ]; then exec setpriv --reuid=` + u + ` --regid=` + u + ` --init-groups -- ` + cmd + `; else exec ` + cmd + `; fi`
}

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

// pathStat is what stat says about a path.
type pathStat struct {
	exists bool
	dir    bool
	user   string
	group  string
	mode   fs.FileMode
}

// stat asks the machine about p with GNU stat.
func stat(ctx context.Context, e executor.Executor, p string) (pathStat, error) {
	cmd := fmt.Sprintf("[ -e %s ] || exit %d\nexec stat -c '%%F|%%U|%%G|%%a' -- %s", q(p), exitMissing, q(p))
	res, err := e.Run(ctx, cmd, nil)
	switch {
	case err != nil:
		return pathStat{}, errors.Wrapf(err, errRun, "stat "+p)
	case res.ExitCode == exitMissing:
		return pathStat{}, nil
	case res.ExitCode != 0:
		return pathStat{}, errors.Errorf(errFailed, "stat "+p, res.ExitCode, output(res))
	}
	f := strings.Split(strings.TrimSpace(res.Stdout), "|")
	if len(f) != 4 {
		return pathStat{}, errors.Errorf(errStat, p, res.Stdout)
	}
	m, err := strconv.ParseUint(f[3], 8, 32)
	if err != nil {
		return pathStat{}, errors.Errorf(errStat, p, res.Stdout)
	}
	return pathStat{exists: true, dir: f[0] == "directory", user: f[1], group: f[2], mode: fs.FileMode(m).Perm()}, nil
}
