// This file holds the pg_hba.conf stage and what a running server took
// from the file.

package pgvm

import (
	"context"
	"path"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

const errHBARejected = "the server did not take pg_hba.conf, and keeps its previous rules: %s"

// hbaStep writes pg_hba.conf and reloads a running server.
func hbaStep(o Options) steps.Step {
	p := path.Join(o.dataDir(), "pg_hba.conf")
	content, _ := renderHBA(o) // validate checked it.
	return steps.Step{
		Name: StepHBA,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			done, err := ownedFileMatches(ctx, e, p, []byte(content), 0o600, o.OSUser)
			if err != nil || !done {
				return false, err
			}
			if up, err := running(ctx, e, o); err != nil || !up {
				return err == nil, err
			}
			bad, err := hbaRejected(ctx, e, o)
			if err == nil && bad != "" {
				err = errors.Errorf(errHBARejected, bad)
			}
			return err == nil, err
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			if err := writeOwnedFile(ctx, e, p, []byte(content), 0o600, o.OSUser); err != nil {
				return err
			}
			if err := reloadIfRunning(ctx, e, o, socketOf(o), false); err != nil {
				return err
			}
			if up, err := running(ctx, e, o); err != nil || !up {
				return err
			}
			bad, err := hbaRejected(ctx, e, o)
			if err == nil && bad != "" {
				err = errors.Errorf(errHBARejected, bad)
			}
			return err
		},
	}
}

// hbaRejected returns the pg_hba.conf lines a running server could not
// take, joined by "; ".
func hbaRejected(ctx context.Context, e executor.Executor, o Options) (string, error) {
	return psql(ctx, e, o, socketOf(o), `SELECT coalesce(string_agg('line ' || line_number || ': ' || error, '; ' ORDER BY line_number), '') FROM pg_hba_file_rules WHERE error IS NOT NULL`)
}
