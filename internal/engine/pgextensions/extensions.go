package pgextensions

import (
	"fmt"
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/engine/pgparams"
)

const (
	errNotAllowed = "extension %q is not in the allow-list of PostgreSQL %s (%s)"
	errNoList     = "PostgreSQL %s has no allow-list of extensions: remove the extensions (%s), or use a version that has one (%s)"
)

// Major returns the major version of a version such as "15" or "15.4",
// as for the parameters' allow-list.
var Major = pgparams.Major

// Names returns the allow-list of a version, sorted; nil when the version
// has none.
func Names(version string) []string {
	l := lists[Major(version)]
	if l == nil {
		return nil
	}
	out := make([]string, 0, len(l))
	for n := range l {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Versions returns the major versions that have an allow-list, sorted.
func Versions() []string {
	out := make([]string, 0, len(lists))
	for v := range lists {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// Allowed reports whether the named extension is on the version's list.
func Allowed(version, name string) bool {
	_, ok := lists[Major(version)][name]
	return ok
}

// Check refuses the first extension, in the order given, that is not on the
// version's allow-list, with a message that names it and the list.
func Check(version string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	if lists[Major(version)] == nil {
		return errors.Errorf(errNoList, version, strings.Join(names, ", "), strings.Join(Versions(), ", "))
	}
	for _, n := range names {
		if !Allowed(version, n) {
			return errors.Errorf(errNotAllowed, n, Major(version), strings.Join(Names(version), ", "))
		}
	}
	return nil
}

// Package returns the Debian package that ships the extension on
// PostgreSQL of the version, or "" when the server's own package does
// (contrib) or the extension is not on the list.
func Package(version, name string) string {
	e, ok := lists[Major(version)][name]
	if !ok || e.pkg == "" {
		return ""
	}
	return fmt.Sprintf(e.pkg, Major(version))
}

// ServerPackage is the Debian package of the server itself, which ships the
// contrib extensions.
func ServerPackage(version string) string {
	return "postgresql-" + Major(version)
}

// PackageOf is the package that must be installed for the extension to be
// available: its own, or the server's for contrib ones.
func PackageOf(version, name string) string {
	if p := Package(version, name); p != "" {
		return p
	}
	return ServerPackage(version)
}

// Packages returns the packages, beyond the server's, that the extensions
// and those they require need, sorted and each once. Extensions not on the
// list are refused.
func Packages(version string, names []string) ([]string, error) {
	all, err := WithRequired(version, names)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range all {
		if p := Package(version, n); p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

// WithRequired returns the extensions with those they require, each once,
// in an order they can be created in: every extension after those it
// requires, and otherwise by name. Dropping them goes the other way round.
// Extensions not on the list are refused.
func WithRequired(version string, names []string) ([]string, error) {
	if err := Check(version, names); err != nil {
		return nil, err
	}
	l := lists[Major(version)]
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	seen := map[string]bool{}
	var out []string
	var visit func(n string)
	visit = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		req := append([]string(nil), l[n].requires...)
		sort.Strings(req)
		for _, r := range req {
			visit(r)
		}
		out = append(out, n)
	}
	for _, n := range sorted {
		visit(n)
	}
	return out, nil
}

// InCreationOrder returns names, which must be on the list, so that each
// comes after any of the others it requires, and otherwise by name.
// Unlike WithRequired it adds nothing.
func InCreationOrder(version string, names []string) []string {
	all, err := WithRequired(version, names)
	if err != nil {
		out := append([]string(nil), names...)
		sort.Strings(out)
		return out
	}
	in := map[string]bool{}
	for _, n := range names {
		in[n] = true
	}
	out := make([]string, 0, len(names))
	for _, n := range all {
		if in[n] {
			out = append(out, n)
		}
	}
	return out
}

// ControlFile is the path, below the server's share directory
// (pg_config --sharedir), of the file that makes an extension available.
func ControlFile(name string) string {
	return "extension/" + name + ".control"
}
