package server

import (
	"context"
	"sync"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"golang.org/x/time/rate"
)

const errRateLimit = "gave up waiting for a turn on %s"

// DefaultPerSecond is a server's limit when no ClusterProviderConfig names
// it: the CRD's default of maxOperationsPerSecond.
const DefaultPerSecond = 20

// A Limit is what one provider config says about how often its server may be
// reached.
type Limit struct {
	// PerSecond is the config's maxOperationsPerSecond; zero or less
	// limits nothing (the provider's own instances).
	PerSecond int

	// Namespace is the namespace of a namespaced ProviderConfig, and empty
	// for a ClusterProviderConfig. A ClusterProviderConfig, the platform
	// team's, sets the server's limit; a namespaced ProviderConfig only
	// caps its own namespace below that, so no namespace can raise what
	// others get from a shared server.
	Namespace string

	// Server is the server's limit as the platform set it: the lowest
	// maxOperationsPerSecond of the ClusterProviderConfigs that name the
	// server, whichever config the operation comes through. Zero when none
	// names it: then DefaultPerSecond, or a ClusterProviderConfig's own
	// PerSecond for its operations.
	Server int
}

// serverRate is the rate of the server's bucket under l.
func (l Limit) serverRate() int {
	switch {
	case l.Server > 0:
		return l.Server
	case l.Namespace == "":
		return l.PerSecond
	default:
		return DefaultPerSecond
	}
}

// Limiters hold one token bucket per server, shared by every controller, so
// that a server's limit holds however many resources and kinds use it, and
// one per namespace on a server for namespaces' own caps.
type Limiters struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// NewLimiters returns an empty set of limiters.
func NewLimiters() *Limiters {
	return &Limiters{buckets: map[string]*rate.Limiter{}}
}

// Wait blocks until server may take one more operation under l, or ctx ends:
// its turn is the one Reserve gives now. A changed limit applies from the
// next call. Nil Limiters limit nothing.
func (ls *Limiters) Wait(ctx context.Context, server string, l Limit) error {
	now := time.Now()
	d, cancel := ls.Reserve(server, l, now)
	if d <= 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && deadline.Before(now.Add(d)) {
		cancel(now)
		return errors.Errorf(errRateLimit+": the turn is %v away, after the deadline", server, d.Round(time.Millisecond))
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		cancel(time.Now())
		return errors.Wrapf(ctx.Err(), errRateLimit, server)
	}
}

// Reserve takes server's next turn under l as of now without waiting for
// it, and returns how long until the turn and a cancel that gives it back,
// at the time it is called with, for a caller that will not use it. An operation from a namespaced config
// takes its namespace's turn first and the server's turn from then, so
// that it never counts against the server at a time it cannot run. Nil
// Limiters, or no limit, give a turn at once.
func (ls *Limiters) Reserve(server string, l Limit, now time.Time) (time.Duration, func(at time.Time)) {
	if ls == nil || (l.PerSecond <= 0 && l.Server <= 0) {
		return 0, func(time.Time) {}
	}
	at := now
	var taken []*rate.Reservation
	for _, b := range ls.bucketsFor(server, l) {
		// Every bucket's burst is its rate, at least 1, so one token is
		// always granted.
		r := b.ReserveN(at, 1)
		taken = append(taken, r)
		at = at.Add(r.DelayFrom(at))
	}
	return at.Sub(now), func(at time.Time) {
		for _, r := range taken {
			r.CancelAt(at)
		}
	}
}

// bucketsFor returns the buckets an operation under l waits on, in order,
// setting their rates from l.
func (ls *Limiters) bucketsFor(server string, l Limit) []*rate.Limiter {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if l.Namespace == "" {
		return []*rate.Limiter{ls.bucket(server, l.serverRate(), true)}
	}
	// Without a platform limit a namespace's operation leaves the
	// server's bucket as it is (made at the default), so that it cannot
	// undo what a ClusterProviderConfig's operation set.
	var out []*rate.Limiter
	if l.PerSecond > 0 {
		out = append(out, ls.bucket(namespaceKey(server, l.Namespace), l.PerSecond, true))
	}
	return append(out, ls.bucket(server, l.serverRate(), l.Server > 0))
}

func namespaceKey(server, namespace string) string { return server + "\x00" + namespace }

// Rate returns the operations per second that server gets, across every
// namespace, and, when namespace is not empty, that namespace's own cap on
// it; zero for a bucket no operation made yet. It says what the limits are
// now, for status and tests.
func (ls *Limiters) Rate(server, namespace string) (serverRate, namespaceRate float64) {
	if ls == nil {
		return 0, 0
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if b, ok := ls.buckets[server]; ok {
		serverRate = float64(b.Limit())
	}
	if b, ok := ls.buckets[namespaceKey(server, namespace)]; ok && namespace != "" {
		namespaceRate = float64(b.Limit())
	}
	return serverRate, namespaceRate
}

// bucket returns the bucket of key, made at perSecond when new; set changes
// an existing bucket's rate to perSecond.
func (ls *Limiters) bucket(key string, perSecond int, set bool) *rate.Limiter {
	b, ok := ls.buckets[key]
	switch {
	case !ok:
		b = rate.NewLimiter(rate.Limit(perSecond), perSecond)
		ls.buckets[key] = b
	case set && b.Limit() != rate.Limit(perSecond):
		b.SetLimit(rate.Limit(perSecond))
		b.SetBurst(perSecond)
	}
	return b
}
