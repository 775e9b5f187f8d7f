package pgparams

import (
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errNotAllowed = "parameter %q is not in the allow-list of PostgreSQL %s: remove it from spec.forProvider.parameters (allowed are tuning parameters such as work_mem, max_wal_size, autovacuum_* and log_min_duration_statement)"
	errNoList     = "PostgreSQL %s has no allow-list of parameters: remove spec.forProvider.parameters (%s), or use a version that has one (%s)"
)

// Major returns the major version of a version such as "15" or "15.4".
func Major(version string) string {
	major, _, _ := strings.Cut(version, ".")
	return major
}

// Allowed reports whether a tenant may set the named parameter on
// PostgreSQL of the given version ("15" or "15.4").
func Allowed(version, name string) bool {
	for _, n := range lists[Major(version)] {
		if n == name {
			return true
		}
	}
	return false
}

// Names returns the allow-list of a version, sorted; nil when the version
// has none.
func Names(version string) []string {
	l := lists[Major(version)]
	if l == nil {
		return nil
	}
	out := append([]string(nil), l...)
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

// Check refuses the first parameter, in name order, that is not in the
// allow-list of the version, with a message that names it.
func Check(version string, params map[string]string) error {
	if len(params) == 0 {
		return nil
	}
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	sort.Strings(names)
	if lists[Major(version)] == nil {
		return errors.Errorf(errNoList, version, strings.Join(names, ", "), strings.Join(Versions(), ", "))
	}
	for _, n := range names {
		if !Allowed(version, n) {
			return errors.Errorf(errNotAllowed, n, Major(version))
		}
	}
	return nil
}
