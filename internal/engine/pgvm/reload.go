// This file holds how a running server is made to read its configuration
// files again, and how the play waits until it has.

package pgvm

import (
	"context"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errReloadTimeout = "the server did not reload its configuration within %s"

	reloadTimeout = 15 * time.Second
)

// reloadIfRunning has a running server read its configuration files again
// and waits until it has, so new connections see the new values. When
// restartPending, it then restarts the server if a changed setting takes
// effect only at start.
func reloadIfRunning(ctx context.Context, e executor.Executor, o Options, at socket, restartPending bool) error {
	up, err := running(ctx, e, o)
	if err != nil || !up {
		return err
	}
	before, err := psql(ctx, e, o, at, "SELECT pg_conf_load_time()")
	if err != nil {
		return err
	}
	cmd := asUser(o.OSUser, o.bin("pg_ctl"), "reload", "-s", "--pgdata="+o.dataDir())
	if o.ServiceMode == ServiceSystemd {
		cmd = executor.ShellCommand("systemctl", "reload", "--", o.unitName())
	}
	if _, err := run(ctx, e, "reload", cmd); err != nil {
		return err
	}
	if err := waitReloaded(ctx, e, o, at, before); err != nil {
		return err
	}
	if !restartPending {
		return nil
	}
	pending, rejected, err := settingsState(ctx, e, o, at)
	if err != nil {
		return err
	}
	if pending {
		if err := restart(ctx, e, o); err != nil {
			return err
		}
		if _, rejected, err = settingsState(ctx, e, o, socketOf(o)); err != nil {
			return err
		}
	}
	if rejected != "" {
		return errors.Errorf(errRejected, rejected)
	}
	return nil
}

// waitReloaded waits until the postmaster's configuration load time is no
// longer before. Reloading only signals the postmaster; a connection made
// before it handled the signal would still see the old values.
func waitReloaded(ctx context.Context, e executor.Executor, o Options, at socket, before string) error {
	deadline := time.Now().Add(reloadTimeout)
	for {
		now, err := psql(ctx, e, o, at, "SELECT pg_conf_load_time()")
		if err == nil && now != before {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return err
			}
			return errors.Errorf(errReloadTimeout, reloadTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
