package steps

import (
	"context"
	"regexp"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errPackageName = "invalid package name %q"

	// installed is how dpkg describes an installed package's status.
	installed = "install ok installed"
)

// packageName is a Debian package name, optionally with =version or :arch.
// It starts with a letter or digit, so it can never be read as an option.
var packageName = regexp.MustCompile(`^[a-z0-9][a-z0-9+.:=~-]+$`)

// Package makes sure the Debian package name is installed.
func Package(name string) Step {
	return Step{
		Name: "package " + name,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			if !packageName.MatchString(name) {
				return false, errors.Errorf(errPackageName, name)
			}
			cmd := executor.ShellCommand("dpkg-query", "-W", "-f=${Status}", "--", name)
			res, err := e.Run(ctx, cmd, nil)
			switch {
			case err != nil:
				return false, errors.Wrapf(err, errRun, cmd)
			case res.ExitCode == 1:
				// dpkg has never heard of it.
				return false, nil
			case res.ExitCode != 0:
				return false, errors.Errorf(errFailed, cmd, res.ExitCode, strings.TrimSpace(res.Stderr))
			}
			return strings.Contains(res.Stdout, installed), nil
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			if !packageName.MatchString(name) {
				return errors.Errorf(errPackageName, name)
			}
			_, err := runScript(ctx, e, "apt-get install "+name, installCommand(name))
			return err
		},
	}
}

// installCommand installs name without questions. It waits for the dpkg
// lock, which cloud-init or unattended-upgrades often hold on a new VM, and
// refreshes the package lists only when the first attempt fails: a new
// image may have none, or stale ones.
func installCommand(name string) string {
	apt := "DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -q"
	install := apt + " install -y " + q(name)
	return install + " || { " + apt + " update && " + install + "; }"
}
