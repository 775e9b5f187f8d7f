package server

import (
	"context"
	"sync"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
)

// lent is what Pools.Open hands a reconcile: a client of one pool that
// holds a session only while one of its statements runs. The managed
// reconciler keeps its client from Connect to the end of the reconcile,
// across the API server writes that follow an observe or a create; a
// session held through those would make the pool, not the server, the
// queue that every worker of every SQL kind waits in.
//
// The session borrowed by Open (which shows that the credentials work) is
// used by the first statement; every later one borrows its own and gives it
// back when it returns. Close tells the pool that the client is back, once.
type lent struct {
	pool lender
	// first is the client Open borrowed: its session until the first
	// statement returns, then only for what needs no session
	// (NormalizePrivileges).
	first dbms.Server
	back  func()

	mu sync.Mutex
	// held is the session Open borrowed, until a statement uses it.
	held dbms.Server
	// err is the first error a session's return gave, for Close.
	err    error
	closed bool
}

// lentExtensions is lent for a server that also manages extensions, so
// that the controllers' check for dbms.ExtensionServer still finds them.
type lentExtensions struct {
	*lent
}

var (
	_ dbms.Server          = &lent{}
	_ dbms.ExtensionServer = lentExtensions{}
)

// lend wraps first, just borrowed from pool, so that each statement runs on
// a session of pool and closing it calls back.
func lend(pool lender, first dbms.Server, back func()) dbms.Server {
	l := &lent{pool: pool, first: first, held: first, back: back}
	if _, ok := first.(dbms.ExtensionServer); ok {
		return lentExtensions{l}
	}
	return l
}

// borrow returns the session a statement runs on: the one Open borrowed
// while it is unused, else a new one from the pool.
func (l *lent) borrow(ctx context.Context) (dbms.Server, error) {
	l.mu.Lock()
	s := l.held
	l.held = nil
	l.mu.Unlock()
	if s != nil {
		return s, nil
	}
	return l.pool.Server(ctx)
}

// giveBack returns a statement's session to the pool, keeping the first
// error for Close.
func (l *lent) giveBack(ctx context.Context, s dbms.Server) {
	err := s.Close(ctx)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		l.err = err
	}
}

// on runs f on a session and gives the session back.
func on[T any](ctx context.Context, l *lent, f func(dbms.Server) (T, error)) (T, error) {
	s, err := l.borrow(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	defer l.giveBack(ctx, s)
	return f(s)
}

// run is on for statements that return only an error.
func run(ctx context.Context, l *lent, f func(dbms.Server) error) error {
	_, err := on(ctx, l, func(s dbms.Server) (struct{}, error) { return struct{}{}, f(s) })
	return err
}

// extensions returns s's extension methods; lend made a lentExtensions only
// for a pool whose clients have them.
func extensions(s dbms.Server) dbms.ExtensionServer {
	es, _ := s.(dbms.ExtensionServer)
	return es
}

// Close gives back the session Open borrowed if no statement used it, and
// tells the pool the client is back; it returns the first error a session's
// return gave.
func (l *lent) Close(ctx context.Context) error {
	l.mu.Lock()
	s := l.held
	l.held = nil
	closed := l.closed
	l.closed = true
	l.mu.Unlock()
	if s != nil {
		l.giveBack(ctx, s)
	}
	if !closed {
		l.back()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *lent) ObserveDatabase(ctx context.Context, name string) (*dbms.DatabaseObservation, error) {
	return on(ctx, l, func(s dbms.Server) (*dbms.DatabaseObservation, error) { return s.ObserveDatabase(ctx, name) })
}

func (l *lent) CreateDatabase(ctx context.Context, name string, p dbms.DatabaseParameters) error {
	return run(ctx, l, func(s dbms.Server) error { return s.CreateDatabase(ctx, name, p) })
}

func (l *lent) UpdateDatabase(ctx context.Context, name string, p dbms.DatabaseParameters) error {
	return run(ctx, l, func(s dbms.Server) error { return s.UpdateDatabase(ctx, name, p) })
}

func (l *lent) DropDatabase(ctx context.Context, name string) error {
	return run(ctx, l, func(s dbms.Server) error { return s.DropDatabase(ctx, name) })
}

func (l *lent) MarkDatabase(ctx context.Context, name, marker string) error {
	return run(ctx, l, func(s dbms.Server) error { return s.MarkDatabase(ctx, name, marker) })
}

func (l *lent) ObserveUser(ctx context.Context, u dbms.UserName) (*dbms.UserObservation, error) {
	return on(ctx, l, func(s dbms.Server) (*dbms.UserObservation, error) { return s.ObserveUser(ctx, u) })
}

func (l *lent) CreateUser(ctx context.Context, u dbms.UserName, p dbms.UserParameters) error {
	return run(ctx, l, func(s dbms.Server) error { return s.CreateUser(ctx, u, p) })
}

func (l *lent) UpdateUser(ctx context.Context, u dbms.UserName, p dbms.UserParameters) error {
	return run(ctx, l, func(s dbms.Server) error { return s.UpdateUser(ctx, u, p) })
}

func (l *lent) CanLogin(ctx context.Context, u dbms.UserName, password string) (bool, error) {
	return on(ctx, l, func(s dbms.Server) (bool, error) { return s.CanLogin(ctx, u, password) })
}

func (l *lent) DropUser(ctx context.Context, u dbms.UserName, alsoIn []string) error {
	return run(ctx, l, func(s dbms.Server) error { return s.DropUser(ctx, u, alsoIn) })
}

func (l *lent) MarkUser(ctx context.Context, u dbms.UserName, marker string) error {
	return run(ctx, l, func(s dbms.Server) error { return s.MarkUser(ctx, u, marker) })
}

func (l *lent) Privileges(ctx context.Context, u dbms.UserName, database string) ([]string, error) {
	return on(ctx, l, func(s dbms.Server) ([]string, error) { return s.Privileges(ctx, u, database) })
}

// NormalizePrivileges runs no statement: the first client answers it
// whether or not it still holds its session.
func (l *lent) NormalizePrivileges(privileges []string) ([]string, error) {
	return l.first.NormalizePrivileges(privileges)
}

func (l *lent) Grant(ctx context.Context, u dbms.UserName, database string, privileges []string) error {
	return run(ctx, l, func(s dbms.Server) error { return s.Grant(ctx, u, database, privileges) })
}

func (l *lent) Revoke(ctx context.Context, u dbms.UserName, database string, privileges []string) error {
	return run(ctx, l, func(s dbms.Server) error { return s.Revoke(ctx, u, database, privileges) })
}

func (l *lent) CallProcedure(ctx context.Context, c dbms.Call) (*dbms.Result, error) {
	return on(ctx, l, func(s dbms.Server) (*dbms.Result, error) { return s.CallProcedure(ctx, c) })
}

func (l lentExtensions) ServerVersion(ctx context.Context) (string, error) {
	return on(ctx, l.lent, func(s dbms.Server) (string, error) { return extensions(s).ServerVersion(ctx) })
}

func (l lentExtensions) AvailableExtensions(ctx context.Context, names []string) (map[string]bool, error) {
	return on(ctx, l.lent, func(s dbms.Server) (map[string]bool, error) { return extensions(s).AvailableExtensions(ctx, names) })
}

func (l lentExtensions) Extensions(ctx context.Context, database string) ([]dbms.Extension, error) {
	return on(ctx, l.lent, func(s dbms.Server) ([]dbms.Extension, error) { return extensions(s).Extensions(ctx, database) })
}

func (l lentExtensions) CreateExtension(ctx context.Context, database, name, marker string) error {
	return run(ctx, l.lent, func(s dbms.Server) error { return extensions(s).CreateExtension(ctx, database, name, marker) })
}

func (l lentExtensions) DropExtension(ctx context.Context, database, name, marker string) error {
	return run(ctx, l.lent, func(s dbms.Server) error { return extensions(s).DropExtension(ctx, database, name, marker) })
}
