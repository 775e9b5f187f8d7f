package steps

import (
	"context"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

// nologin is the shell of the users engines run as: they are started by
// systemd or runuser, never logged in to.
const nologin = "/usr/sbin/nologin"

// User makes sure a system user (and its group) named name exists, with
// home as its home directory. The home directory is not created: a
// Directory step creates it with the owner and mode the engine needs.
func User(name, home string) Step {
	return Step{
		Name: "user " + name,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			res, err := e.Run(ctx, executor.ShellCommand("id", "-u", "--", name), nil)
			// id exits non-zero for a user that does not exist.
			return err == nil && res.ExitCode == 0, err
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			_, err := run(ctx, e, userAddCommand(name, home))
			return err
		},
	}
}

func userAddCommand(name, home string) string {
	return executor.ShellCommand("useradd", "--system", "--user-group", "--home-dir", home, "--no-create-home", "--shell", nologin, "--", name)
}
