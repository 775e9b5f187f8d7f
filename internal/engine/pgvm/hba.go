// This file holds the pg_hba.conf stage and what a running server took
// from the file.

package pgvm

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

const errHBARejected = "the server did not take pg_hba.conf, and keeps its previous rules: %s"

// hbaStep writes pg_hba.conf and reloads a running server.
func hbaStep(o Options) steps.Step {
	f := newConfigFile(o, "pg_hba.conf", renderHBA)
	return steps.Step{
		Name: StepHBA,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			same, up, err := f.check(ctx, e)
			if err != nil || !same || !up {
				return err == nil && same, err
			}
			err = hbaTaken(ctx, e, o)
			return err == nil, err
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			if err := f.write(ctx, e); err != nil {
				return err
			}
			if err := reloadIfRunning(ctx, e, o, socketOf(o), false); err != nil {
				return err
			}
			if up, err := running(ctx, e, o); err != nil || !up {
				return err
			}
			return hbaTaken(ctx, e, o)
		},
	}
}

// hbaTaken asks a running server which pg_hba.conf lines it could not take,
// and names them in its error.
func hbaTaken(ctx context.Context, e executor.Executor, o Options) error {
	bad, err := psql(ctx, e, o, socketOf(o), `SELECT coalesce(string_agg('line ' || line_number || ': ' || error, '; ' ORDER BY line_number), '') FROM pg_hba_file_rules WHERE error IS NOT NULL`)
	if err == nil && bad != "" {
		err = errors.Errorf(errHBARejected, bad)
	}
	return err
}
