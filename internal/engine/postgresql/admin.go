package postgresql

import (
	"context"
	"net"
	"path/filepath"
	"strconv"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const errConnectSocket = "cannot connect to PostgreSQL as the admin user over its unix socket %s"

// ConnectAdmin opens the session the provider administers the server with:
// the admin user on the database postgres. An instance with the provider's
// pg_hba.conf (one that serves TLS) and a socket is reached over its unix
// socket through the executor (directly here, through SSH's
// direct-streamlocal channel on another machine), where pg_ident.conf maps
// the provider's OS user to the admin role: no password crosses, so the
// admin password's only use over TCP is what still logs in with it. An
// instance on initdb's rules (no TLS), or behind an executor that cannot
// dial a socket, is reached over TCP with password, as Connect does.
func (i *Instance) ConnectAdmin(ctx context.Context, password string) (*pgx.Conn, error) {
	return i.connectAdminTo(ctx, password, "postgres")
}

// connectAdminTo is ConnectAdmin's session on database.
func (i *Instance) connectAdminTo(ctx context.Context, password, database string) (*pgx.Conn, error) {
	d, ok := i.Exec.(executor.UnixDialer)
	if i.TLS == nil || !ok {
		return i.Connect(ctx, i.AdminUser, password, database)
	}
	dir := i.SocketDir()
	socket := filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(int(i.Port)))
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		return nil, errors.Wrapf(err, errConnectSocket, socket)
	}
	// A host that is a directory makes pgx ask for a unix socket, which
	// DialFunc opens on the instance's machine; the socket speaks no TLS,
	// and the session never falls back to TCP.
	cfg.Host, cfg.Port = dir, uint16(i.Port)
	cfg.User, cfg.Database = i.AdminUser, database
	cfg.ConnectTimeout = connectTimeout
	cfg.TLSConfig, cfg.Fallbacks = nil, nil
	cfg.DialFunc = func(ctx context.Context, _, _ string) (net.Conn, error) {
		return d.DialUnix(ctx, socket)
	}
	c, err := pgx.ConnectConfig(ctx, cfg)
	return c, errors.Wrapf(err, errConnectSocket, socket)
}
