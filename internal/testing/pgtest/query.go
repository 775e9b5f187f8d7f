package pgtest

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Conn connects to database as user with password; it is closed when the
// test ends.
func (s *Server) Conn(t testing.TB, user, password, database string) (*pgx.Conn, error) {
	t.Helper()
	cfg, err := pgx.ParseConfig("sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Host, cfg.Port, cfg.User, cfg.Password, cfg.Database = s.Host, uint16(s.Port), user, password, database
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c, nil
}

// Admin connects as the admin to the postgres database.
func (s *Server) Admin(t testing.TB) *pgx.Conn {
	t.Helper()
	c, err := s.Conn(t, s.User, s.Password, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Names runs a query returning one text column and returns its values
// sorted, for checking that nothing but the expected changed.
func (s *Server) Names(t testing.TB, query string, args ...any) []string {
	t.Helper()
	rows, err := s.Admin(t).Query(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	n, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(n)
	return n
}

// Databases returns the names of all databases.
func (s *Server) Databases(t testing.TB) []string {
	return s.Names(t, "SELECT datname FROM pg_database")
}

// Roles returns the names of all roles.
func (s *Server) Roles(t testing.TB) []string {
	return s.Names(t, "SELECT rolname FROM pg_roles")
}
