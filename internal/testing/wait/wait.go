// Package wait polls a test's condition until it holds: the one way the
// tests wait for controllers, servers and stores to converge, by condition
// and never by a fixed sleep, on a machine that other runs load too.
package wait

import (
	"testing"
	"time"
)

const (
	// first is the pause after the first look. Most conditions of the
	// fake backends hold within milliseconds, so the first looks are
	// quick.
	first = 10 * time.Millisecond
	// most is the longest pause between looks. A condition that needs a
	// reconcile, a server start or a backup takes seconds: looking more
	// often than this would load the shared machine (some looks run
	// pgBackRest or open connections) for a gain of a fraction of a
	// second per wait.
	most = 250 * time.Millisecond
)

// For looks at cond until it holds, pausing between looks (from 10 ms,
// doubling up to a quarter of a second). When cond does not hold within
// timeout, For fails the test with what, the deadline and what cond said
// at its last look: the state it saw (a string) or the error it met, so
// that a failure says how far things got. When cond holds, For logs how
// long that took (go test -v shows it) and returns that time.
//
// The timeout is a bound against a broken controller hanging the test, not
// a performance expectation: it should be generous, since a met condition
// returns at once.
func For[S any](t testing.TB, timeout time.Duration, what string, cond func() (bool, S)) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	pause := first
	var last S
	for {
		ok, state := cond()
		if ok {
			took := time.Since(start)
			t.Logf("%s after %s", what, took.Round(time.Millisecond))
			return took
		}
		last = state
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(pause)
		pause = min(2*pause, most)
	}
	t.Fatalf("%s: not reached within %s; last: %v", what, timeout, last)
	return 0
}
