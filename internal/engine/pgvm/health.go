package pgvm

import (
	"context"
	"strconv"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

const (
	errSelect1    = "SELECT 1 returned %q"
	errOptions    = "invalid options"
	errNotHealthy = "the server is not healthy after %s"

	healthTimeout = 60 * time.Second
)

// tcpHost is the address pg_isready reaches the server's TCP listener on:
// the first listen address, or loopback for the wildcards.
func tcpHost(o Options) string {
	switch a := o.ListenAddresses[0]; a {
	case "*", "0.0.0.0":
		return "127.0.0.1"
	case "::":
		return "::1"
	default:
		return a
	}
}

// Health checks the server on the machine: pg_isready on its first listen
// address and port, then a SELECT 1 as the superuser over the unix socket.
// It needs no password: the play's first pg_hba.conf rule lets the OS user
// in over the socket.
func Health(ctx context.Context, e executor.Executor, o Options) error {
	o = o.withDefaults()
	if err := o.validateServer(); err != nil {
		return errors.Wrap(err, errOptions)
	}
	if _, err := run(ctx, e, "pg_isready", executor.ShellCommand(o.bin("pg_isready"), "-t", "5", "-h", tcpHost(o), "-p", strconv.Itoa(o.Port))); err != nil {
		return err
	}
	out, err := psql(ctx, e, o, socketOf(o), "SELECT 1")
	if err != nil {
		return err
	}
	if out != "1" {
		return errors.Errorf(errSelect1, out)
	}
	return nil
}

// healthStep passes when Health does; otherwise it waits for the server,
// which may be finishing recovery, for up to a minute.
func healthStep(o Options) steps.Step {
	return steps.Step{
		Name: StepHealth,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			return Health(ctx, e, o) == nil, nil
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			deadline := time.Now().Add(healthTimeout)
			for {
				err := Health(ctx, e, o)
				if err == nil {
					return nil
				}
				if time.Now().After(deadline) {
					return errors.Wrapf(err, errNotHealthy, healthTimeout)
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(500 * time.Millisecond):
				}
			}
		},
	}
}
