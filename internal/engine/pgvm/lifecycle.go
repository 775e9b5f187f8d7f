package pgvm

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"

	xperrors "github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errReadVersion = "cannot read the cluster's PG_VERSION"
	errStop        = "cannot stop the server"
	errRemoveData  = "cannot remove the data directory"
	errRemoveUnit  = "cannot remove the systemd unit"
)

// Exists reports whether the machine holds the cluster o describes: its
// data directory has a PG_VERSION, which initdb writes.
func Exists(ctx context.Context, e executor.Executor, o Options) (bool, error) {
	o = o.withDefaults()
	if err := o.validateServer(); err != nil {
		return false, xperrors.Wrap(err, errOptions)
	}
	_, err := e.ReadFile(ctx, path.Join(o.dataDir(), "PG_VERSION"))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, xperrors.Wrap(err, errReadVersion)
	}
}

// ServerVersion is what the running server reports as server_version, for
// example "15.14 (Debian 15.14-0+deb12u1)" cut to "15.14".
func ServerVersion(ctx context.Context, e executor.Executor, o Options) (string, error) {
	o = o.withDefaults()
	if err := o.validateServer(); err != nil {
		return "", xperrors.Wrap(err, errOptions)
	}
	v, err := psql(ctx, e, o, socketOf(o), "SHOW server_version")
	if err != nil {
		return "", err
	}
	v, _, _ = strings.Cut(v, " ")
	return v, nil
}

// Remove stops the server and removes what the play made for it: the data
// directory and, with systemd, the unit. The packages stay: other clusters
// may use them, and removing them gains nothing on a machine about to be
// deleted. Removing what is already gone succeeds.
func Remove(ctx context.Context, e executor.Executor, o Options) error {
	o = o.withDefaults()
	if err := o.validateServer(); err != nil {
		return xperrors.Wrap(err, errOptions)
	}
	if o.ServiceMode == ServiceSystemd {
		// disable --now stops it too; a unit that is not there is fine.
		stop := "if [ -e " + q(o.unitPath()) + " ]; then systemctl disable --now -- " + q(o.unitName()) + "; fi"
		if _, err := run(ctx, e, "systemctl disable --now", stop); err != nil {
			return xperrors.Wrap(err, errStop)
		}
		if _, err := run(ctx, e, "rm unit", "rm -f -- "+q(o.unitPath())+" && systemctl daemon-reload"); err != nil {
			return xperrors.Wrap(err, errRemoveUnit)
		}
	} else {
		up, err := running(ctx, e, o)
		if err != nil {
			return xperrors.Wrap(err, errStop)
		}
		if up {
			if _, err := run(ctx, e, "pg_ctl stop", asUser(o.OSUser, o.bin("pg_ctl"), "stop", "-s", "-w", "-t", pgCtlTimeout,
				"-m", "fast", "--pgdata="+o.dataDir())); err != nil {
				return xperrors.Wrap(err, errStop)
			}
		}
	}
	if _, err := run(ctx, e, "rm -rf", "rm -rf -- "+q(o.dataDir())); err != nil {
		return xperrors.Wrap(err, errRemoveData)
	}
	return nil
}
