package postgresql

import (
	"context"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errLookupUser = "cannot look up the engine user"
	errChown      = "cannot hand a path to the engine user"
	errRun        = "%s failed: %s"

	// engineUser is who PostgreSQL runs as when the provider runs as root:
	// initdb and postgres refuse to run as root.
	engineUser = "postgres"
)

// asRoot reports whether the provider runs as root and so must drop to the
// engine user.
func asRoot() bool { return os.Geteuid() == 0 }

// command returns cmd for bin, run as the engine user when we are root.
// Its working directory is dir, which the engine user can read.
func command(ctx context.Context, dir, bin string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if asRoot() {
		cmd = exec.CommandContext(ctx, "setpriv", append([]string{"--reuid=" + engineUser, "--regid=" + engineUser, "--init-groups", "--", bin}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, bin, args...)
	}
	cmd.Dir = dir
	cmd.Env = engineEnv()
	return cmd
}

// run runs bin and returns its output in the error when it fails. Passwords
// are never on a command line, so the output is safe to report.
func run(ctx context.Context, dir, bin string, args ...string) error {
	return runEnv(ctx, dir, nil, bin, args...)
}

// runEnv is run with further environment variables, such as PGPASSFILE.
func runEnv(ctx context.Context, dir string, env []string, bin string, args ...string) error {
	cmd := command(ctx, dir, bin, args...)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return errors.Wrapf(err, errRun, bin, strings.TrimSpace(string(out)))
	}
	return nil
}

// output runs bin and returns its standard output.
func output(ctx context.Context, dir, bin string, args ...string) (string, error) {
	cmd := command(ctx, dir, bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", errors.Wrapf(err, errRun, bin, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// chown hands paths to the engine user when we are root; otherwise the
// engine runs as us and owns them already.
func chown(paths ...string) error {
	if !asRoot() {
		return nil
	}
	u, err := user.Lookup(engineUser)
	if err != nil {
		return errors.Wrap(err, errLookupUser)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return errors.Wrap(err, errLookupUser)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return errors.Wrap(err, errLookupUser)
	}
	for _, p := range paths {
		if err := os.Chown(p, uid, gid); err != nil {
			return errors.Wrap(err, errChown)
		}
	}
	return nil
}
