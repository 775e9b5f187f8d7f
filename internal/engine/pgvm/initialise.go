// This file holds the stage that runs initdb once, with the bootstrap
// password in a file rather than on a command line.

package pgvm

import (
	"context"
	"io/fs"
	"path"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

const (
	errOtherVersion = "the data directory %s holds a PostgreSQL %s cluster, not %s"
	errNotEmpty     = "the data directory %s is not empty but holds no cluster (no PG_VERSION): refusing to initialise over what may be data"
	errPWFile       = "cannot write the bootstrap password file"
	errPWFileRemove = "cannot remove the bootstrap password file %s"
)

// initialiseStep runs initdb unless the data directory holds a cluster.
// The bootstrap password goes to initdb through a 0600 file only the OS
// user can read, removed right after; never a command line.
func initialiseStep(o Options) steps.Step {
	pgVersion := path.Join(o.dataDir(), "PG_VERSION")
	return steps.Step{
		Name: StepInitialise,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			b, err := e.ReadFile(ctx, pgVersion)
			if errors.Is(err, fs.ErrNotExist) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			if v := strings.TrimSpace(string(b)); v != o.Version {
				return false, errors.Errorf(errOtherVersion, o.dataDir(), v, o.Version)
			}
			return true, nil
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			empty, err := emptyDir(ctx, e, o.dataDir())
			if err != nil {
				return err
			}
			if !empty {
				return errors.Errorf(errNotEmpty, o.dataDir())
			}
			pw := o.pwFile()
			// Removed whatever happens, even when ctx ended.
			defer e.Run(context.WithoutCancel(ctx), executor.ShellCommand("rm", "-f", "--", pw), nil) //nolint:errcheck // Best effort; checked below on success.
			if err := e.WriteFile(ctx, pw, []byte(o.SuperuserPassword+"\n"), 0o600); err != nil {
				// The error names the path, never the content.
				return errors.Wrap(err, errPWFile)
			}
			if _, err := run(ctx, e, "chown "+pw, executor.ShellCommand("chown", "--", o.OSUser+":", pw)); err != nil {
				return err
			}
			if _, err := run(ctx, e, "initdb", asUser(o.OSUser, o.bin("initdb"),
				"--pgdata="+o.dataDir(),
				"--username="+o.OSUser,
				"--pwfile="+pw,
				"--auth-local=peer",
				"--auth-host=scram-sha-256",
				"--encoding=UTF8",
				"--locale=C",
				"--data-checksums",
				"--no-instructions",
			)); err != nil {
				return err
			}
			if _, err := run(ctx, e, "rm "+pw, executor.ShellCommand("rm", "-f", "--", pw)); err != nil {
				return errors.Wrapf(err, errPWFileRemove, pw)
			}
			return nil
		},
	}
}
