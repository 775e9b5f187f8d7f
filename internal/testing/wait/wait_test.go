package wait

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB whose Fatalf records the failure instead of
// ending the goroutine, so that For's failures can be looked at.
type recorder struct {
	testing.TB
	fatal string
	logs  []string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

func (r *recorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func TestFor(t *testing.T) {
	cases := map[string]struct {
		reason string
		// holdsAt is the look at which the condition holds; 0: never.
		holdsAt int
		timeout time.Duration
		// state is what the condition says at look n when it does not hold.
		state func(n int) string
		// wantFatal are the words the failure holds; none: no failure.
		wantFatal []string
		wantLooks func(n int) bool
	}{
		"HoldsAtOnce": {
			reason:    "A condition that holds is looked at once, and nothing fails.",
			holdsAt:   1,
			timeout:   time.Minute,
			state:     func(int) string { return "" },
			wantLooks: func(n int) bool { return n == 1 },
		},
		"HoldsLater": {
			reason:    "A condition is looked at again until it holds.",
			holdsAt:   4,
			timeout:   time.Minute,
			state:     func(n int) string { return fmt.Sprintf("look %d", n) },
			wantLooks: func(n int) bool { return n == 4 },
		},
		"Never": {
			reason:    "A condition that never holds fails the test with what was awaited, the deadline and the last state seen.",
			timeout:   50 * time.Millisecond,
			state:     func(n int) string { return fmt.Sprintf("look %d", n) },
			wantFatal: []string{"the thing Ready: not reached within 50ms; last: look "},
			wantLooks: func(n int) bool { return n >= 2 },
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := &recorder{TB: t}
			looks := 0
			For(r, tc.timeout, "the thing Ready", func() (bool, string) {
				looks++
				return looks == tc.holdsAt, tc.state(looks)
			})
			if !tc.wantLooks(looks) {
				t.Errorf("%s\nlooks: got %d", tc.reason, looks)
			}
			if len(tc.wantFatal) == 0 {
				if r.fatal != "" || len(r.logs) != 1 || !strings.HasPrefix(r.logs[0], "the thing Ready after ") {
					t.Errorf("%s\nwant no failure and one log of the time taken; got failure %q, logs %q", tc.reason, r.fatal, r.logs)
				}
				return
			}
			for _, w := range tc.wantFatal {
				if !strings.Contains(r.fatal, w) {
					t.Errorf("%s\nfailure: want %q in %q", tc.reason, w, r.fatal)
				}
			}
			if !strings.HasSuffix(r.fatal, fmt.Sprintf("look %d", looks)) {
				t.Errorf("%s\nfailure: want the state of the last look (%d), got %q", tc.reason, looks, r.fatal)
			}
		})
	}
}

// TestForError shows that a condition may say what it met as an error, and
// that the last one is in the failure.
func TestForError(t *testing.T) {
	r := &recorder{TB: t}
	For(r, 20*time.Millisecond, "the row", func() (bool, error) {
		return false, errors.New("no rows in result set")
	})
	if want := "the row: not reached within 20ms; last: no rows in result set"; r.fatal != want {
		t.Errorf("failure: want %q, got %q", want, r.fatal)
	}
}
