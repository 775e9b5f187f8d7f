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
	"strconv"
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

// Parallel lets up to n of the package's parallel tests (t.Parallel) run at
// once, unless the command line set -parallel. Go's default is GOMAXPROCS,
// 2 on the CI machine: right for tests that keep a core busy, but a package
// whose tests mostly wait (for Crossplane core, the function and the
// provider to take their next step) then runs two waits at a time and ends
// long after its CPU was needed; its longest test, when Go happens to
// start it last, runs on alone. It is for TestMain, before m.Run.
func Parallel(n int) {
	if !flag.Parsed() {
		flag.Parse()
	}
	widen(flag.CommandLine, n)
}

// widen sets fs's test.parallel to n unless the command line gave it.
func widen(fs *flag.FlagSet, n int) {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		// The flag is the testing package's own and takes any integer.
		_ = fs.Set("test.parallel", strconv.Itoa(n))
	}
}
