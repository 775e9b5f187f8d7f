package server

import (
	"context"
	"sync"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"golang.org/x/time/rate"
)

const errRateLimit = "gave up waiting for a turn on %s"

// Limiters hold one token bucket per server, shared by every controller, so
// that a server's limit holds however many resources and kinds use it.
type Limiters struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

// NewLimiters returns an empty set of limiters.
func NewLimiters() *Limiters {
	return &Limiters{buckets: map[string]*rate.Limiter{}}
}

// Wait blocks until server may take one more operation at perSecond
// operations a second (bursts of as many), or ctx ends. A changed limit
// applies from the next call. Nil Limiters limit nothing.
func (l *Limiters) Wait(ctx context.Context, server string, perSecond int) error {
	if l == nil || perSecond <= 0 {
		return nil
	}
	l.mu.Lock()
	b, ok := l.buckets[server]
	switch {
	case !ok:
		b = rate.NewLimiter(rate.Limit(perSecond), perSecond)
		l.buckets[server] = b
	case b.Limit() != rate.Limit(perSecond):
		b.SetLimit(rate.Limit(perSecond))
		b.SetBurst(perSecond)
	}
	l.mu.Unlock()
	return errors.Wrapf(b.Wait(ctx), errRateLimit, server)
}
