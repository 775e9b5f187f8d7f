package server

import (
	"context"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/metrics"
)

// instrumented times every SQL operation of the Database, User and Grant
// controllers into the dbaas_sql_operation_* metrics, labelled with the
// server.
type instrumented struct {
	dbms.Server
	server string
}

// instrumentedExtensions is instrumented for a server that also manages
// extensions, so that the controllers' check for dbms.ExtensionServer
// still finds them through the wrapper.
type instrumentedExtensions struct {
	instrumented
	ext dbms.ExtensionServer
}

var (
	_ dbms.Server          = instrumented{}
	_ dbms.ExtensionServer = instrumentedExtensions{}
)

// instrument wraps s, opened with cfg, in the metrics.
func instrument(s dbms.Server, cfg dbms.Config) dbms.Server {
	i := instrumented{Server: s, server: string(cfg.Engine) + "/" + cfg.Address()}
	if es, ok := s.(dbms.ExtensionServer); ok {
		return instrumentedExtensions{instrumented: i, ext: es}
	}
	return i
}

// Unwrap returns the server that s times: s itself unless Connect wrapped
// it. Tests that check which server a client was handed compare this.
func Unwrap(s dbms.Server) dbms.Server {
	switch i := s.(type) {
	case instrumented:
		return Unwrap(i.Server)
	case instrumentedExtensions:
		return Unwrap(i.Server)
	case *lent:
		return i.first
	case lentExtensions:
		return i.first
	default:
		return s
	}
}

func (s instrumented) done(operation string, start time.Time, err error) {
	metrics.SQL(s.server, operation, time.Since(start), err)
}

func (s instrumented) ObserveDatabase(ctx context.Context, name string) (o *dbms.DatabaseObservation, err error) {
	defer func(start time.Time) { s.done("observe_database", start, err) }(time.Now())
	return s.Server.ObserveDatabase(ctx, name)
}

func (s instrumented) CreateDatabase(ctx context.Context, name string, p dbms.DatabaseParameters) (err error) {
	defer func(start time.Time) { s.done("create_database", start, err) }(time.Now())
	return s.Server.CreateDatabase(ctx, name, p)
}

func (s instrumented) UpdateDatabase(ctx context.Context, name string, p dbms.DatabaseParameters) (err error) {
	defer func(start time.Time) { s.done("update_database", start, err) }(time.Now())
	return s.Server.UpdateDatabase(ctx, name, p)
}

func (s instrumented) DropDatabase(ctx context.Context, name string) (err error) {
	defer func(start time.Time) { s.done("drop_database", start, err) }(time.Now())
	return s.Server.DropDatabase(ctx, name)
}

func (s instrumented) MarkDatabase(ctx context.Context, name, marker string) (err error) {
	defer func(start time.Time) { s.done("mark_database", start, err) }(time.Now())
	return s.Server.MarkDatabase(ctx, name, marker)
}

func (s instrumented) ObserveUser(ctx context.Context, u dbms.UserName) (o *dbms.UserObservation, err error) {
	defer func(start time.Time) { s.done("observe_user", start, err) }(time.Now())
	return s.Server.ObserveUser(ctx, u)
}

func (s instrumented) CreateUser(ctx context.Context, u dbms.UserName, p dbms.UserParameters) (err error) {
	defer func(start time.Time) { s.done("create_user", start, err) }(time.Now())
	return s.Server.CreateUser(ctx, u, p)
}

func (s instrumented) UpdateUser(ctx context.Context, u dbms.UserName, p dbms.UserParameters) (err error) {
	defer func(start time.Time) { s.done("update_user", start, err) }(time.Now())
	return s.Server.UpdateUser(ctx, u, p)
}

func (s instrumented) CanLogin(ctx context.Context, u dbms.UserName, password string) (ok bool, err error) {
	defer func(start time.Time) { s.done("can_login", start, err) }(time.Now())
	return s.Server.CanLogin(ctx, u, password)
}

func (s instrumented) DropUser(ctx context.Context, u dbms.UserName, alsoIn []string) (err error) {
	defer func(start time.Time) { s.done("drop_user", start, err) }(time.Now())
	return s.Server.DropUser(ctx, u, alsoIn)
}

func (s instrumented) MarkUser(ctx context.Context, u dbms.UserName, marker string) (err error) {
	defer func(start time.Time) { s.done("mark_user", start, err) }(time.Now())
	return s.Server.MarkUser(ctx, u, marker)
}

func (s instrumented) Privileges(ctx context.Context, u dbms.UserName, database string) (p []string, err error) {
	defer func(start time.Time) { s.done("observe_grant", start, err) }(time.Now())
	return s.Server.Privileges(ctx, u, database)
}

func (s instrumented) Grant(ctx context.Context, u dbms.UserName, database string, privileges []string) (err error) {
	defer func(start time.Time) { s.done("grant", start, err) }(time.Now())
	return s.Server.Grant(ctx, u, database, privileges)
}

func (s instrumented) Revoke(ctx context.Context, u dbms.UserName, database string, privileges []string) (err error) {
	defer func(start time.Time) { s.done("revoke", start, err) }(time.Now())
	return s.Server.Revoke(ctx, u, database, privileges)
}

func (s instrumented) CallProcedure(ctx context.Context, c dbms.Call) (r *dbms.Result, err error) {
	defer func(start time.Time) { s.done("call_procedure", start, err) }(time.Now())
	return s.Server.CallProcedure(ctx, c)
}

func (s instrumentedExtensions) ServerVersion(ctx context.Context) (v string, err error) {
	defer func(start time.Time) { s.done("server_version", start, err) }(time.Now())
	return s.ext.ServerVersion(ctx)
}

func (s instrumentedExtensions) AvailableExtensions(ctx context.Context, names []string) (a map[string]bool, err error) {
	defer func(start time.Time) { s.done("available_extensions", start, err) }(time.Now())
	return s.ext.AvailableExtensions(ctx, names)
}

func (s instrumentedExtensions) Extensions(ctx context.Context, database string) (e []dbms.Extension, err error) {
	defer func(start time.Time) { s.done("observe_extensions", start, err) }(time.Now())
	return s.ext.Extensions(ctx, database)
}

func (s instrumentedExtensions) CreateExtension(ctx context.Context, database, name, marker string) (err error) {
	defer func(start time.Time) { s.done("create_extension", start, err) }(time.Now())
	return s.ext.CreateExtension(ctx, database, name, marker)
}

func (s instrumentedExtensions) DropExtension(ctx context.Context, database, name, marker string) (err error) {
	defer func(start time.Time) { s.done("drop_extension", start, err) }(time.Now())
	return s.ext.DropExtension(ctx, database, name, marker)
}
