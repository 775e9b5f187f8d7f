package machinetest

import (
	"sync"
	"sync/atomic"
)

// Faults is the part of a Rig every fake implements alike: it counts the
// requests and hands out the faulty answers a test asks for (Throttle,
// Unavailable). A fake embeds it and asks Next, on every request, how to
// answer; it writes the fault in its API's own format.
type Faults struct {
	calls atomic.Int64

	mu       sync.Mutex
	skip     int // requests answered before the throttling starts
	throttle int
	down     int
}

// A Fault is how a request is to be answered.
type Fault int

// The faults, in the order Next hands them out.
const (
	// NoFault: answer the request.
	NoFault Fault = iota
	// Throttled: answer 429 with Retry-After: 1.
	Throttled
	// Down: answer 503.
	Down
)

// Throttle makes the next n requests answer 429 with Retry-After: 1.
func (f *Faults) Throttle(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle, f.skip = n, 0
}

// ThrottleAfter lets the next k requests through, then answers n with 429:
// a create cut short half way.
func (f *Faults) ThrottleAfter(k, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle, f.skip = n, k
}

// Unavailable makes the next n requests answer 503.
func (f *Faults) Unavailable(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = n
}

// Calls is how many requests the fake has answered, faulty ones included.
func (f *Faults) Calls() int64 { return f.calls.Load() }

// Next counts a request and says how to answer it: throttled while the
// throttling lasts, then unavailable while that lasts. Requests that
// ThrottleAfter lets through are answered.
func (f *Faults) Next() Fault {
	f.calls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.skip > 0:
		f.skip--
	case f.throttle > 0:
		f.throttle--
		return Throttled
	case f.down > 0:
		f.down--
		return Down
	}
	return NoFault
}
