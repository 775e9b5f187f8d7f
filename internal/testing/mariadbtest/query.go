/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package mariadbtest

import (
	"context"
	"database/sql"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/go-sql-driver/mysql"
)

// createAdmin makes AdminUser, and leaves root reachable only through the
// private socket: mariadb-install-db also makes password-less root accounts
// for 127.0.0.1, ::1 and the host's name, which anyone on the machine could
// use over TCP.
func (s *Server) createAdmin() error {
	c, err := s.rootConnector()
	if err != nil {
		return err
	}
	db := sql.OpenDB(c)
	defer func() { _ = db.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		return errors.Wrap(err, "cannot connect as root")
	}
	defer func() { _ = conn.Close() }()
	// The password is hex digits made here, so writing it into the
	// statement cannot change what the statement does; account statements
	// take no bound parameters.
	stmts := []string{
		"CREATE USER '" + AdminUser + "'@'%' IDENTIFIED BY '" + s.Password + "'",
		"GRANT ALL PRIVILEGES ON *.* TO '" + AdminUser + "'@'%' WITH GRANT OPTION",
		"DELETE FROM mysql.global_priv WHERE User = 'root' AND Host <> 'localhost'",
		"DELETE FROM mysql.proxies_priv WHERE User = 'root' AND Host <> 'localhost'",
		"FLUSH PRIVILEGES",
	}
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return errors.Wrapf(err, "cannot set up the admin account")
		}
	}
	return nil
}

// Config returns the driver configuration for user with password over TCP,
// without TLS, to database (none when empty).
func (s *Server) Config(user, password, database string) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.DBName = user, password, database
	cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	cfg.Timeout = 10 * time.Second
	return cfg
}

// Open returns a connection pool for user with password to database (none
// when empty), checked by a ping; it is closed when the test ends.
func (s *Server) Open(t testing.TB, user, password, database string) (*sql.DB, error) {
	t.Helper()
	c, err := mysql.NewConnector(s.Config(user, password, database))
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(c)
	if err := db.PingContext(context.Background()); err != nil {
		_ = db.Close()
		return nil, err
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, nil
}

// Admin returns a connection pool for the admin.
func (s *Server) Admin(t testing.TB) *sql.DB {
	t.Helper()
	db, err := s.Open(t, s.User, s.Password, "")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// Names runs a query returning one text column and returns its values
// sorted, for checking that nothing but the expected changed.
func (s *Server) Names(t testing.TB, query string, args ...any) []string {
	t.Helper()
	rows, err := s.Admin(t).QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// Databases returns the names of all databases.
func (s *Server) Databases(t testing.TB) []string {
	return s.Names(t, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
}

// Accounts returns all accounts as user@host.
func (s *Server) Accounts(t testing.TB) []string {
	return s.Names(t, "SELECT CONCAT(User, '@', Host) FROM mysql.global_priv")
}
