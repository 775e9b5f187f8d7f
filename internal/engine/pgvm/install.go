// This file holds the first provisioning step: the PostgreSQL binaries,
// installed with apt or found where the machine's image put them.

package pgvm

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

const (
	errNotInstalled = "PostgreSQL %s is not installed on the machine: %s is missing; install the package postgresql-%s"
	errWrite        = "cannot write %s"

	// createClusterHeader starts the file that tells postgresql-common not
	// to create its own cluster.
	createClusterHeader = "# Written by the dbaas provider; local edits are overwritten.\n"
)

// binaries are programs of the package that must be there: the server's,
// which the engine runs, and the clients people use on the machine.
var binaries = []string{"initdb", "pg_ctl", "postgres", "psql", "pg_isready"}

// missingBinary returns the first of binaries that is not on the machine,
// or "" when all are.
func missingBinary(ctx context.Context, e executor.Executor, o Options) (string, error) {
	var b strings.Builder
	for _, n := range binaries {
		p := q(o.bin(n))
		b.WriteString("[ -x " + p + " ] || { echo " + p + "; exit 0; }\n")
	}
	res, err := run(ctx, e, "looking for the PostgreSQL binaries", b.String())
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(res.Stdout), nil
}

// findBinariesStep checks that the binaries are there, on machines where
// the provider does not install them.
func findBinariesStep(o Options) steps.Step {
	return steps.Step{
		Name: fmt.Sprintf(StepFindBinaries, o.Version),
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			missing, err := missingBinary(ctx, e, o)
			return err == nil && missing == "", err
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			missing, err := missingBinary(ctx, e, o)
			if err != nil {
				return err
			}
			return errors.Errorf(errNotInstalled, o.Version, missing, o.Version)
		},
	}
}

// installStep installs postgresql-<version> with apt, first telling
// postgresql-common not to create its own "main" cluster, which would take
// port 5432 and start a server the provider does not manage.
func installStep(o Options) steps.Step {
	pkg := steps.Package("postgresql-" + o.Version)
	return steps.Step{
		Name: fmt.Sprintf(StepInstall, o.Version),
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			done, err := pkg.Check(ctx, e)
			if err != nil || !done {
				return false, err
			}
			missing, err := missingBinary(ctx, e, o)
			return err == nil && missing == "", err
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			conf := o.createClusterConf()
			if _, err := run(ctx, e, "mkdir "+path.Dir(conf), executor.ShellCommand("mkdir", "-p", "--", path.Dir(conf))); err != nil {
				return err
			}
			if err := e.WriteFile(ctx, conf, []byte(createClusterHeader+"create_main_cluster = false\n"), 0o644); err != nil {
				return errors.Wrapf(err, errWrite, conf)
			}
			if err := pkg.Apply(ctx, e); err != nil {
				return err
			}
			missing, err := missingBinary(ctx, e, o)
			if err == nil && missing != "" {
				err = errors.Errorf(errNotInstalled, o.Version, missing, o.Version)
			}
			return err
		},
	}
}
