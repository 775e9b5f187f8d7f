package databaseinstance

import (
	"context"
	"fmt"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgextensions"
	"github.com/dbaas-io/dbaas/internal/engine/pgvm"
)

const (
	errPlayExtensions    = "cannot look for the extensions on %s"
	errPlayMissing       = "extension %s is not installed on %s: its package %s is missing, which the play installs (or, with ssh.packages Preinstalled, the machine's image must hold)"
	errExtensionMissing  = "extension %s is not available on this machine: install the package %s here (make deps installs it), or remove %s from spec.forProvider.extensions"
	errExtensionsMissing = "extensions %s are not available on this machine: install the packages %s here (make deps installs them), or remove %s from spec.forProvider.extensions"
)

// observeExtensions records which extensions of the spec the local members
// can provide and keeps the instance from being Ready while one cannot be:
// the members run on the provider's own machine, whose packages they use,
// and the provider installs nothing there. A Database that creates the
// missing extension would fail anyway; the instance says why first.
func (e *external) observeExtensions(ctx context.Context, cr *v1alpha1.DatabaseInstance) error {
	available, missing, err := e.primaryMember().inst.Extensions(ctx, cr.Spec.ForProvider.Extensions)
	if err != nil {
		return err
	}
	cr.Status.AtProvider.Extensions = available
	if msg := missingExtensions(cr.Spec.ForProvider.Version, missing); msg != "" {
		cr.SetConditions(xpv2.Unavailable().WithMessage(msg))
	}
	return nil
}

// missingExtensions says which extensions are missing and which packages
// bring them; empty when none is.
func missingExtensions(version string, missing []string) string {
	if len(missing) == 0 {
		return ""
	}
	var pkgs []string
	seen := map[string]bool{}
	for _, n := range missing {
		if p := pgextensions.PackageOf(version, n); !seen[p] {
			seen[p] = true
			pkgs = append(pkgs, p)
		}
	}
	names := strings.Join(missing, ", ")
	if len(missing) == 1 {
		return fmt.Sprintf(errExtensionMissing, names, pkgs[0], names)
	}
	return fmt.Sprintf(errExtensionsMissing, names, strings.Join(pkgs, " "), names)
}

// observeExtensions records which extensions of the spec the member's
// machine has, and keeps the instance from being Ready while one is
// missing: the play installs them (or finds them preinstalled), and says
// in Synced why it could not; Ready says what is missing meanwhile.
func (e *playExternal) observeExtensions(ctx context.Context, cr *v1alpha1.DatabaseInstance) error {
	if len(e.opts.Extensions) == 0 {
		return nil
	}
	available, missing, err := pgvm.Extensions(ctx, e.exec, e.opts)
	if err != nil {
		return errors.Wrapf(err, errPlayExtensions, e.vm)
	}
	cr.Status.AtProvider.Extensions = available
	if len(missing) > 0 {
		v := e.opts.Version
		if v == "" {
			v = pgvm.DefaultVersion
		}
		n := missing[0]
		cr.SetConditions(xpv2.Unavailable().WithMessage(fmt.Sprintf(errPlayMissing, n, e.vm, pgextensions.PackageOf(v, n))))
	}
	return nil
}
