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

// Steps of an instance that backs up: pgBackRest installed, or found
// where the image put it.
const (
	StepInstallBackup = "install pgbackrest"
	StepFindBackup    = "find pgbackrest"
)

const (

	// pgbackrestBin is where Debian's package installs pgBackRest, and
	// where the provider runs it (pgbackrest.Bin, which this package does
	// not import to stay free of the engine's backup code).
	pgbackrestBin = "/usr/bin/pgbackrest"

	errNoPgBackRest = "pgBackRest is not installed on the machine: %s is missing; install the package pgbackrest"
)

// backupStep installs pgbackrest with apt, or checks that it is there on
// machines where the provider does not install packages.
func backupStep(o Options) steps.Step {
	return packageStep(o, "pgbackrest", pgbackrestBin, StepInstallBackup, StepFindBackup, errNoPgBackRest)
}

// packageStep installs the Debian package pkg with apt (the step called
// install), or, on machines where the provider does not install packages,
// checks that its program bin is there (the step called find), failing
// with notFound (which takes bin).
func packageStep(o Options, pkg, bin, install, find, notFound string) steps.Step {
	if o.InstallPackages {
		s := steps.Package(pkg)
		s.Name = install
		return s
	}
	found := func(ctx context.Context, e executor.Executor) (bool, error) {
		res, err := run(ctx, e, "looking for "+pkg, "[ -x "+q(bin)+" ] && echo yes || true")
		return err == nil && res.Stdout == "yes\n", err
	}
	return steps.Step{
		Name:  find,
		Check: found,
		Apply: func(ctx context.Context, e executor.Executor) error {
			ok, err := found(ctx, e)
			if err == nil && !ok {
				err = errors.Errorf(notFound, bin)
			}
			return err
		},
	}
}
