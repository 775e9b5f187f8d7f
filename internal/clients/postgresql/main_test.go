package postgresql

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/testing/integration"
	"github.com/dbaas-io/dbaas/internal/testing/pgtest"
)

// server is the one PostgreSQL server the package's tests share.
var server *pgtest.Server

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// The quick pass runs the tests that need no server; the others skip
	// in newClient.
	if integration.Short() {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "pgclient-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	server, err = pgtest.New(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := server.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	return m.Run()
}

func adminConfig() Config {
	return Config{Host: server.Host, Port: server.Port, User: server.User, Password: server.Password, TLS: dbms.TLS{Mode: dbms.TLSDisable}}
}

// newClient connects as the admin and closes the connection when the test ends.
func newClient(t *testing.T) *Client {
	t.Helper()
	integration.Needs(t, "PostgreSQL 15 (make deps)")
	c, err := Connect(context.Background(), adminConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// names lists a catalog's names, for checking that nothing else changed.
func names(t *testing.T, c *Client, query string) []string {
	t.Helper()
	rows, err := c.conn.Query(context.Background(), query)
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

func databaseNames(t *testing.T, c *Client) []string {
	return names(t, c, "SELECT datname FROM pg_database")
}

func roleNames(t *testing.T, c *Client) []string {
	return names(t, c, "SELECT rolname FROM pg_roles")
}

// without returns names without name.
func without(names []string, name string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == name })
}
