package databaseinstance

import (
	"sync"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
)

// phases are how long each step of a promoting pass took, in the order
// they ended; a failover logs them (at debug level) so that a slow one
// says where its time went. The promotion and the followers' move run
// side by side, hence the lock.
type phases struct {
	mu sync.Mutex
	kv []any
}

// took records that the step name, begun at start, has ended.
func (p *phases) took(name string, start time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.kv = append(p.kv, name, time.Since(start).Round(time.Millisecond).String())
}

// keysAndValues are the steps recorded so far, for a log line.
func (p *phases) keysAndValues() []any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]any(nil), p.kv...)
}

// logger is the external's log, or one that drops everything for an
// external made without one.
func (e *external) logger() logging.Logger {
	if e.log == nil {
		return logging.NewNopLogger()
	}
	return e.log
}
