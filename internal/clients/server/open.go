package server

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/clients/mssql"
	"github.com/dbaas-io/dbaas/internal/clients/mysql"
	"github.com/dbaas-io/dbaas/internal/clients/postgresql"
)

const errUnknownEngine = "unknown engine %q: use postgresql, mysql, mariadb or sqlserver"

// Open connects to a server with the client of its engine. Each client is
// returned as a nil interface on error, never as a typed nil.
func Open(ctx context.Context, cfg dbms.Config) (dbms.Server, error) {
	switch cfg.Engine {
	case dbms.PostgreSQL, "":
		return asServer(postgresql.Connect(ctx, cfg))
	case dbms.MySQL, dbms.MariaDB:
		return asServer(mysql.Connect(ctx, cfg))
	case dbms.SQLServer:
		return asServer(mssql.Connect(ctx, cfg))
	default:
		return nil, errors.Errorf(errUnknownEngine, cfg.Engine)
	}
}

func asServer[T dbms.Server](s T, err error) (dbms.Server, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}
