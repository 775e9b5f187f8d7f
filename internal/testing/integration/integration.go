// Package integration marks the tests that need real components (database
// servers, the control plane's build, root) so that `go test -short`, the
// quick pass of `make unit`, skips them. The helpers that start such a
// component (testenv.Start, pgtest.Start, mariadbtest.Start, ...) call
// Needs first, so a test is marked by what it starts rather than one by
// one. Without -short, as in CI, nothing is skipped: a missing component
// fails the test.
package integration

import (
	"flag"
	"testing"
)

// Needs skips the test under -short, saying what it needs to run.
func Needs(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("needs %s; run without -short", what)
	}
}

// Short reports whether this is the quick pass (-short). It is for
// TestMain, which runs before the testing package parses the flags, so it
// parses them first.
func Short() bool {
	if !flag.Parsed() {
		flag.Parse()
	}
	return testing.Short()
}
