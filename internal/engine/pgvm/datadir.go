// This file holds the stage that makes the data, socket and log directories
// and refuses a data directory that belongs to someone else.

package pgvm

import (
	"context"
	"fmt"
	"io/fs"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

const (
	errNoUser       = "the OS user %s does not exist on the machine; installing postgresql-%s creates it"
	errNotDir       = "%s exists and is not a directory"
	errOwnedByOther = "the data directory %s is owned by %s, not %s, and is not empty: it may belong to another program or an earlier installation; move it away, or give it to %s if it is this server's"
)

// dataDirectoryStep makes the data directory (0700), the socket directory
// and the log directory, owned by the OS user. A data directory that holds
// something and belongs to someone else is refused, not taken over.
func dataDirectoryStep(o Options) steps.Step {
	dirs := []struct {
		path string
		mode fs.FileMode
	}{{o.dataDir(), 0o700}, {o.socketDir(), 0o755}, {o.logDir(), 0o755}}
	return steps.Step{
		Name: StepDataDirectory,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			res, err := e.Run(ctx, executor.ShellCommand("id", "-u", "--", o.OSUser), nil)
			if err != nil {
				return false, errors.Wrapf(err, errRun, "id")
			}
			if res.ExitCode != 0 {
				return false, errors.Errorf(errNoUser, o.OSUser, o.Version)
			}
			done := true
			for i, d := range dirs {
				st, err := stat(ctx, e, d.path)
				switch {
				case err != nil:
					return false, err
				case !st.exists:
					done = false
					continue
				case !st.dir:
					return false, errors.Errorf(errNotDir, d.path)
				}
				if i == 0 && st.user != o.OSUser {
					empty, err := emptyDir(ctx, e, d.path)
					if err != nil {
						return false, err
					}
					if !empty {
						return false, errors.Errorf(errOwnedByOther, d.path, st.user, o.OSUser, o.OSUser)
					}
				}
				if st.user != o.OSUser || st.mode != d.mode {
					done = false
				}
			}
			return done, nil
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			var cmds []string
			for _, d := range dirs {
				cmds = append(cmds,
					executor.ShellCommand("mkdir", "-p", "--", d.path),
					executor.ShellCommand("chown", "--", o.OSUser+":", d.path),
					executor.ShellCommand("chmod", "--", fmt.Sprintf("%04o", d.mode), d.path))
			}
			_, err := run(ctx, e, "creating the data directory", strings.Join(cmds, " && "))
			return err
		},
	}
}

// emptyDir reports whether the directory p holds nothing.
func emptyDir(ctx context.Context, e executor.Executor, p string) (bool, error) {
	res, err := run(ctx, e, "ls "+p, executor.ShellCommand("ls", "-A", "--", p))
	return err == nil && strings.TrimSpace(res.Stdout) == "", err
}
