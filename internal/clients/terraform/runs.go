// This file holds what the backend reads from a workspace's runs: whether
// a run is over, whether its changes are in the state, and what an
// unfinished or failed run says.

package terraform

import (
	"context"
	"fmt"

	tfe "github.com/hashicorp/go-tfe"
)

// final run statuses: nothing more happens to the run by itself.
func final(s tfe.RunStatus) bool {
	switch s {
	case tfe.RunApplied, tfe.RunPlannedAndFinished, tfe.RunPlannedAndSaved, tfe.RunErrored,
		tfe.RunCanceled, tfe.RunDiscarded, "force_canceled":
		return true
	}
	return false
}

// done reports whether a run's changes are in the state: applied, or
// planned with nothing to change.
func done(s tfe.RunStatus) bool {
	return s == tfe.RunApplied || s == tfe.RunPlannedAndFinished
}

// waiting reports whether a run waits for someone in Terraform.
func waiting(r *tfe.Run) bool {
	if r.Actions != nil && r.Actions.IsConfirmable {
		return true
	}
	switch r.Status {
	case tfe.RunPlanned, tfe.RunCostEstimated, tfe.RunPolicyChecked, tfe.RunPostPlanCompleted:
		return !r.AutoApply
	case tfe.RunPolicyOverride, tfe.RunPolicySoftFailed, tfe.RunPostPlanAwaitingDecision:
		return true
	}
	return false
}

func kind(r *tfe.Run) string {
	if r.IsDestroy {
		return "destroy run"
	}
	return "run"
}

// pending says what an unfinished run is doing.
func pending(r *tfe.Run) string {
	if waiting(r) {
		return fmt.Sprintf("%s %s waits for approval in Terraform", kind(r), r.ID)
	}
	return fmt.Sprintf("%s %s is %s", kind(r), r.ID, r.Status)
}

func (b *Backend) runFailed(ws *tfe.Workspace, r *tfe.Run) error {
	return fmt.Errorf("%s %s of workspace %s %s: see %s", kind(r), r.ID, ws.Name, r.Status, b.runURL(ws.Name, r.ID))
}

// latestRun is the workspace's newest run; nil when it has none.
func (b *Backend) latestRun(ctx context.Context, ws *tfe.Workspace) (*tfe.Run, error) {
	l, err := b.client.Runs.List(ctx, ws.ID, &tfe.RunListOptions{ListOptions: tfe.ListOptions{PageSize: 1}})
	if err != nil {
		return nil, wrap(err, "cannot list the runs of workspace "+ws.Name)
	}
	if len(l.Items) == 0 {
		return nil, nil
	}
	return l.Items[0], nil
}
