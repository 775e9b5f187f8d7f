// Package steps prepares a machine for an engine the way an Ansible play
// does: each step checks whether its state already holds and changes the
// machine only when it does not, so running the same steps again after a
// crash, a retry or a drift is safe and changes nothing that is right.
package steps

import (
	"context"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/metrics"
)

const (
	errStep         = "step %q"
	errCheck        = "cannot check whether it is done"
	errApply        = "cannot apply it"
	errConfirm      = "cannot check it after applying it"
	errNotConverged = "applied, but its check still finds it not done"
)

// A Step is one piece of machine state: Check says whether it holds, Apply
// makes it hold. Apply must be safe to run again if it fails half way.
type Step struct {
	Name  string
	Check func(ctx context.Context, e executor.Executor) (done bool, err error)
	Apply func(ctx context.Context, e executor.Executor) error
}

// A State is where a step is.
type State string

// States reported to Run's progress function.
const (
	// StateApplying: the check found the step not done; Apply is running.
	StateApplying State = "Applying"
	// StateUnchanged: the step was already done.
	StateUnchanged State = "Unchanged"
	// StateChanged: the step was applied and its check now passes.
	StateChanged State = "Changed"
	// StateFailed: the step failed; Err says why.
	StateFailed State = "Failed"
)

// StepStatus is a step's progress.
type StepStatus struct {
	Step  string
	State State
	Err   error
}

// A Report says what a run did.
type Report struct {
	// Unchanged steps were already done.
	Unchanged []string
	// Changed steps were applied.
	Changed []string
	// Failed is the step that failed, if any.
	Failed string
	// NotRun are the steps after the failed one.
	NotRun []string
}

// NothingChanged reports whether every step ran and was already done: the
// machine was as the steps describe it.
func (r Report) NothingChanged() bool {
	return len(r.Changed) == 0 && r.Failed == "" && len(r.NotRun) == 0
}

// Run runs steps in order: Check, and Apply only when not done, then Check
// again to confirm Apply worked. It stops at the first step that fails,
// since later steps build on earlier ones; the error names that step.
// progress, when not nil, hears of each step as it moves.
func Run(ctx context.Context, e executor.Executor, steps []Step, progress func(StepStatus)) (Report, error) {
	tell := func(s StepStatus) {
		if progress != nil {
			progress(s)
		}
	}
	var r Report
	for i, s := range steps {
		start := time.Now()
		changed, err := runStep(ctx, e, s, tell)
		metrics.Step(s.Name, stepOutcome(changed, err), time.Since(start))
		if err != nil {
			err = errors.Wrapf(err, errStep, s.Name)
			r.Failed = s.Name
			for _, later := range steps[i+1:] {
				r.NotRun = append(r.NotRun, later.Name)
			}
			tell(StepStatus{Step: s.Name, State: StateFailed, Err: err})
			return r, err
		}
		if changed {
			r.Changed = append(r.Changed, s.Name)
			tell(StepStatus{Step: s.Name, State: StateChanged})
			continue
		}
		r.Unchanged = append(r.Unchanged, s.Name)
		tell(StepStatus{Step: s.Name, State: StateUnchanged})
	}
	return r, nil
}

// runStep runs one step and reports whether it changed the machine.
func runStep(ctx context.Context, e executor.Executor, s Step, tell func(StepStatus)) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	done, err := s.Check(ctx, e)
	if err != nil {
		return false, errors.Wrap(err, errCheck)
	}
	if done {
		return false, nil
	}
	tell(StepStatus{Step: s.Name, State: StateApplying})
	if err := s.Apply(ctx, e); err != nil {
		return false, errors.Wrap(err, errApply)
	}
	// Confirming catches an Apply that reports success without reaching
	// the state, which would otherwise surface only as a later step's
	// puzzling failure.
	done, err = s.Check(ctx, e)
	if err != nil {
		return false, errors.Wrap(err, errConfirm)
	}
	if !done {
		return false, errors.New(errNotConverged)
	}
	return true, nil
}

// stepOutcome is the outcome label of a step's duration.
func stepOutcome(changed bool, err error) string {
	switch {
	case err != nil:
		return metrics.StepFailed
	case changed:
		return metrics.StepChanged
	default:
		return metrics.StepUnchanged
	}
}
