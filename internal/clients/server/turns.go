package server

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// TurnInline is the longest a reconcile waits for its server's turn while
// holding its worker. A longer wait gives the worker back: the reconcile is
// requeued for its turn, and the worker serves resources of other servers,
// or of the same server once their turns come, meanwhile.
const TurnInline = 100 * time.Millisecond

// A turn is what a reconcile does about its server's token bucket.
type turn struct {
	// Run says to reconcile now, after Wait, with the turn taken.
	Run  bool
	Wait time.Duration
	// After, when Run is false, is when to come back: the turn reserved
	// for the request is then.
	After time.Duration
	// Reserved says a new turn was reserved for After, so that the
	// request is let through when it comes back.
	Reserved bool
}

// nextTurn decides a reconcile's turn at now. granted is the time of a turn
// reserved for the request by an earlier pass, zero when none; reserve
// takes a new one and returns how long until it, and is called only when
// the request has none.
func nextTurn(now, granted time.Time, reserve func() time.Duration) turn {
	if !granted.IsZero() {
		// Requeued for its turn, or woken early by a watch.
		left := max(granted.Sub(now), 0)
		if left <= TurnInline {
			return turn{Run: true, Wait: left}
		}
		return turn{After: left}
	}
	d := reserve()
	if d <= TurnInline {
		return turn{Run: true, Wait: max(d, 0)}
	}
	return turn{After: d, Reserved: true}
}

// A Lookup reads a request's SQL object from the cache and the name of the
// DatabaseInstance it lives on, empty for its provider config's server.
type Lookup func(ctx context.Context, nn types.NamespacedName) (Managed, string, error)

// Turns wraps the managed reconciler of a SQL kind so that a reconcile
// waiting for its server's token bucket does not hold a worker: it takes
// its turn ahead (a reservation in the bucket), and when the turn is more
// than TurnInline away it returns a requeue for then instead of sleeping.
// When it comes back its turn is due and it is let through without
// taking another, as crossplane-runtime's ratelimiter.Reconciler does with
// the global limiter. This has to sit outside the managed reconciler: an
// error from Connect or Observe is a ReconcileError condition, a Warning
// event, a status write and an exponential back-off, none of which a wait
// for a turn is.
//
// A request whose server cannot be found from the cache (no object, no
// provider config, an instance) goes to the reconciler without a turn;
// Connect then waits for one as before, or reports what is missing.
type Turns struct {
	Inner     reconcile.Reconciler
	Connector *Connector
	Lookup    Lookup

	// now is the clock; time.Now when nil.
	now func() time.Time

	mu      sync.Mutex
	granted map[types.NamespacedName]time.Time
}

// Reconcile takes req's turn on its server, then reconciles it or requeues
// it for the turn.
func (t *Turns) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	now := t.clock()
	t.mu.Lock()
	granted := t.granted[req.NamespacedName]
	t.mu.Unlock()

	limited := true
	next := nextTurn(now, granted, func() time.Duration {
		server, l, ok := t.limitOf(ctx, req.NamespacedName)
		if !ok {
			limited = false
			return 0
		}
		d, _ := t.Connector.Limiters.Reserve(server, l, now)
		return d
	})
	if !limited {
		return t.Inner.Reconcile(ctx, req)
	}
	if !next.Run {
		if next.Reserved {
			t.mu.Lock()
			if t.granted == nil {
				t.granted = map[types.NamespacedName]time.Time{}
			}
			t.granted[req.NamespacedName] = now.Add(next.After)
			t.mu.Unlock()
		}
		return reconcile.Result{RequeueAfter: next.After}, nil
	}
	if !granted.IsZero() {
		t.mu.Lock()
		delete(t.granted, req.NamespacedName)
		t.mu.Unlock()
	}
	if next.Wait > 0 {
		w := time.NewTimer(next.Wait)
		select {
		case <-w.C:
		case <-ctx.Done():
			w.Stop()
			return reconcile.Result{}, ctx.Err()
		}
	}
	return t.Inner.Reconcile(withTurn(ctx), req)
}

// limitOf finds the server nn reaches and its limit, from the cache; false
// when the object, its provider config or its server cannot be found, or it
// lives on a DatabaseInstance (the provider's own, not limited).
func (t *Turns) limitOf(ctx context.Context, nn types.NamespacedName) (string, Limit, bool) {
	mg, instance, err := t.Lookup(ctx, nn)
	if err != nil || instance != "" || mg.GetProviderConfigReference() == nil {
		return "", Limit{}, false
	}
	spec, err := t.Connector.resolve(ctx, mg)
	if err != nil {
		return "", Limit{}, false
	}
	l, _, err := t.Connector.limitOf(ctx, mg, spec.Server)
	if err != nil {
		return "", Limit{}, false
	}
	return serverOf(spec.Server).String(), l, true
}

func (t *Turns) clock() time.Time {
	if t.now != nil {
		return t.now()
	}
	return time.Now()
}

type turnKey struct{}

// withTurn marks ctx as a reconcile that has its server's turn.
func withTurn(ctx context.Context) context.Context {
	return context.WithValue(ctx, turnKey{}, true)
}

// hadTurn says whether Turns gave ctx's reconcile its turn.
func hadTurn(ctx context.Context) bool {
	v, _ := ctx.Value(turnKey{}).(bool)
	return v
}
