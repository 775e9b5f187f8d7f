package server

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql"
)

const errUnknownEngine = "unknown engine %q"

// Open connects to a server with the client of its engine.
func Open(ctx context.Context, cfg dbms.Config) (dbms.Server, error) {
	switch cfg.Engine {
	case dbms.PostgreSQL, "":
		c, err := postgresql.Connect(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return c, nil
	default:
		return nil, errors.Errorf(errUnknownEngine, cfg.Engine)
	}
}
