// This file holds the extensions' provisioning step, after the binaries:
// the Debian packages of the extensions a DatabaseInstance asks for,
// installed with apt or found where the machine's image put them.

package pgvm

import (
	"context"
	"path"
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/pgextensions"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

// Step names of the extensions stage.
const (
	StepInstallExtensions = "install extension packages"
	StepFindExtensions    = "find extensions"
)

const (
	errExtensionNotInstalled = "extension %s is not installed on the machine: its control file %s is missing; install the package %s"
	errExtensionStillMissing = "extension %s is still missing after installing %s: its control file %s is not there"
)

// DefaultShareRoot holds one share directory per major version (pg_config
// --sharedir), with the extensions' control files, as the Debian and Ubuntu
// packages install them.
const DefaultShareRoot = "/usr/share/postgresql"

// controlFile is where an extension's control file is on the machine. Like
// the binaries, it is where the package puts it, not below Root.
func (o Options) controlFile(name string) string {
	return path.Join(o.ShareRoot, o.Version, pgextensions.ControlFile(name))
}

// Extensions says which of the extensions o asks for (with those they
// require) the machine has, sorted, and which are missing, in creation
// order.
func Extensions(ctx context.Context, e executor.Executor, o Options) (available, missing []string, err error) {
	o = o.withDefaults()
	all, err := pgextensions.WithRequired(o.Version, o.Extensions)
	if err != nil || len(all) == 0 {
		return nil, nil, err
	}
	// One line per missing extension; the names are the allow-list's,
	// and quoted all the same.
	var b strings.Builder
	for _, n := range all {
		b.WriteString("[ -f " + q(o.controlFile(n)) + " ] || echo " + q(n) + "\n")
	}
	res, err := run(ctx, e, "looking for the extensions' control files", b.String())
	if err != nil {
		return nil, nil, err
	}
	gone := map[string]bool{}
	for _, l := range strings.Fields(res.Stdout) {
		gone[l] = true
	}
	for _, n := range all {
		if gone[n] {
			missing = append(missing, n)
		} else {
			available = append(available, n)
		}
	}
	sort.Strings(available)
	return available, missing, nil
}

// findExtensionsStep checks that the extensions are there, on machines
// where the provider does not install packages.
func findExtensionsStep(o Options) steps.Step {
	return steps.Step{
		Name: StepFindExtensions,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			_, missing, err := Extensions(ctx, e, o)
			return err == nil && len(missing) == 0, err
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			_, missing, err := Extensions(ctx, e, o)
			if err != nil || len(missing) == 0 {
				return err
			}
			n := missing[0]
			return errors.Errorf(errExtensionNotInstalled, n, o.controlFile(n), pgextensions.PackageOf(o.Version, n))
		},
	}
}

// installExtensionsStep installs the extensions' packages with apt, as the
// server's own, and checks that their control files are there afterwards.
func installExtensionsStep(o Options) (steps.Step, error) {
	names, err := pgextensions.Packages(o.Version, o.Extensions)
	if err != nil {
		return steps.Step{}, err
	}
	pkgs := make([]steps.Step, len(names))
	for n, p := range names {
		pkgs[n] = steps.Package(p)
	}
	return steps.Step{
		Name: StepInstallExtensions,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			for _, p := range pkgs {
				if done, err := p.Check(ctx, e); err != nil || !done {
					return false, err
				}
			}
			_, missing, err := Extensions(ctx, e, o)
			return err == nil && len(missing) == 0, err
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			for _, p := range pkgs {
				if err := p.Apply(ctx, e); err != nil {
					return err
				}
			}
			_, missing, err := Extensions(ctx, e, o)
			if err != nil || len(missing) == 0 {
				return err
			}
			n := missing[0]
			if len(names) == 0 {
				return errors.Errorf(errExtensionNotInstalled, n, o.controlFile(n), pgextensions.PackageOf(o.Version, n))
			}
			return errors.Errorf(errExtensionStillMissing, n, strings.Join(names, " "), o.controlFile(n))
		},
	}, nil
}
