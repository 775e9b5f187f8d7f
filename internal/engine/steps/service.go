package steps

import (
	"context"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

// Service makes sure the systemd unit name is enabled, so it starts at
// boot, and running now.
func Service(name string) Step {
	return Step{
		Name: "service " + name,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			res, err := e.Run(ctx, serviceCheckCommand(name), nil)
			return err == nil && res.ExitCode == 0, err
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			_, err := run(ctx, e, executor.ShellCommand("systemctl", "enable", "--now", "--", name))
			return err
		},
	}
}

func serviceCheckCommand(name string) string {
	return executor.ShellCommand("systemctl", "is-enabled", "--quiet", "--", name) + " && " +
		executor.ShellCommand("systemctl", "is-active", "--quiet", "--", name)
}
