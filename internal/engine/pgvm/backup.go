// This file holds the provisioning step of instances that back up: the
// pgbackrest package, whose archive-push the server runs for every WAL
// segment.

package pgvm

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

const (
	// StepInstallBackup and StepFindBackup are the steps of an instance
	// that backs up: pgBackRest installed, or found where the image put it.
	StepInstallBackup = "install pgbackrest"
	StepFindBackup    = "find pgbackrest"

	// pgbackrestBin is where Debian's package installs pgBackRest, and
	// where the provider runs it (pgbackrest.Bin, which this package does
	// not import to stay free of the engine's backup code).
	pgbackrestBin = "/usr/bin/pgbackrest"

	errNoPgBackRest = "pgBackRest is not installed on the machine: %s is missing; install the package pgbackrest"
)

// backupStep installs pgbackrest with apt, or checks that it is there on
// machines where the provider does not install packages.
func backupStep(o Options) steps.Step {
	if o.InstallPackages {
		s := steps.Package("pgbackrest")
		s.Name = StepInstallBackup
		return s
	}
	found := func(ctx context.Context, e executor.Executor) (bool, error) {
		res, err := run(ctx, e, "looking for pgbackrest", "[ -x "+q(pgbackrestBin)+" ] && echo yes || true")
		return err == nil && res.Stdout == "yes\n", err
	}
	return steps.Step{
		Name:  StepFindBackup,
		Check: found,
		Apply: func(ctx context.Context, e executor.Executor) error {
			ok, err := found(ctx, e)
			if err == nil && !ok {
				err = errors.Errorf(errNoPgBackRest, pgbackrestBin)
			}
			return err
		},
	}
}
