package databaseinstance

import (
	"context"
	"fmt"
	"strings"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgextensions"
)

const (
	errPlayMissing       = "extension %s is not installed on %s: its package %s is missing, which the provider installs (or, with ssh.packages Preinstalled, the machine's image must hold)"
	errExtensionMissing  = "extension %s is not available on this machine: install the package %s here (make deps installs it), or remove %s from spec.forProvider.extensions"
	errExtensionsMissing = "extensions %s are not available on this machine: install the packages %s here (make deps installs them), or remove %s from spec.forProvider.extensions"
)

// observeExtensions records which extensions of the spec the members can
// provide and keeps the instance from being Ready while one cannot be. A
// Database that creates the missing extension would fail anyway; the
// instance says why first. Local members run on the provider's own
// machine, whose packages they use, and the provider installs nothing
// there. Over SSH the provisioning steps install the packages (or find
// them preinstalled) and say in Synced why they could not; Ready says what
// is missing meanwhile.
func (e *external) observeExtensions(ctx context.Context, cr *v1alpha1.DatabaseInstance) error {
	available, missing, err := e.primaryMember().inst.Extensions(ctx, cr.Spec.ForProvider.Extensions)
	if err != nil {
		return err
	}
	cr.Status.AtProvider.Extensions = available
	msg := missingExtensions(cr.Spec.ForProvider.Version, missing)
	if len(e.closers) > 0 && len(missing) > 0 {
		n := missing[0]
		msg = fmt.Sprintf(errPlayMissing, n, e.primaryMember().vm, pgextensions.PackageOf(majorVersion(cr.Spec.ForProvider.Version), n))
	}
	if msg != "" {
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
