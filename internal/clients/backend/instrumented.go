package backend

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
	"github.com/dbaas-io/dbaas/internal/metrics"
)

// instrumented counts and times every call to a backend into the
// dbaas_backend_* metrics, labelled with the backend's name; a backend
// that answers 429 counts as throttled.
type instrumented struct {
	machine.Backend
	name string
}

var _ machine.Backend = instrumented{}

// done records a call of operation that started at start and returned err.
func (b instrumented) done(operation string, start time.Time, err error) {
	metrics.BackendCall(b.name, operation, callResult(err), time.Since(start))
}

// callResult is the result label of a call that returned err.
func callResult(err error) string {
	var te *machine.TransientError
	switch {
	case err == nil:
		return metrics.CallOK
	case errors.As(err, &te) && te.StatusCode == http.StatusTooManyRequests:
		return metrics.CallThrottled
	default:
		return metrics.CallError
	}
}

func (b instrumented) Observe(ctx context.Context, id machine.ID) (m *machine.Machine, err error) {
	defer func(start time.Time) { b.done("observe", start, err) }(time.Now())
	return b.Backend.Observe(ctx, id)
}

func (b instrumented) Create(ctx context.Context, id machine.ID, s machine.Spec) (m *machine.Machine, err error) {
	defer func(start time.Time) { b.done("create", start, err) }(time.Now())
	return b.Backend.Create(ctx, id, s)
}

func (b instrumented) Update(ctx context.Context, id machine.ID, s machine.Spec) (m *machine.Machine, err error) {
	defer func(start time.Time) { b.done("update", start, err) }(time.Now())
	return b.Backend.Update(ctx, id, s)
}

func (b instrumented) Mark(ctx context.Context, id machine.ID, owner ownership.Owner) (err error) {
	defer func(start time.Time) { b.done("mark", start, err) }(time.Now())
	return b.Backend.Mark(ctx, id, owner)
}

func (b instrumented) Delete(ctx context.Context, id machine.ID) (err error) {
	defer func(start time.Time) { b.done("delete", start, err) }(time.Now())
	return b.Backend.Delete(ctx, id)
}

func (b instrumented) ObserveRule(ctx context.Context, id machine.ID) (r *machine.Rule, err error) {
	defer func(start time.Time) { b.done("observe_rule", start, err) }(time.Now())
	return b.Backend.ObserveRule(ctx, id)
}

func (b instrumented) CreateRule(ctx context.Context, id machine.ID, s machine.RuleSpec) (r *machine.Rule, err error) {
	defer func(start time.Time) { b.done("create_rule", start, err) }(time.Now())
	return b.Backend.CreateRule(ctx, id, s)
}

func (b instrumented) UpdateRule(ctx context.Context, id machine.ID, s machine.RuleSpec) (r *machine.Rule, err error) {
	defer func(start time.Time) { b.done("update_rule", start, err) }(time.Now())
	return b.Backend.UpdateRule(ctx, id, s)
}

func (b instrumented) DeleteRule(ctx context.Context, id machine.ID) (err error) {
	defer func(start time.Time) { b.done("delete_rule", start, err) }(time.Now())
	return b.Backend.DeleteRule(ctx, id)
}
