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
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"
)

func TestStartConnectStop(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	pid := s.proc.PID()

	db := s.Admin(t)
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(version, "MariaDB") {
		t.Errorf("VERSION() = %q, want a MariaDB server", version)
	}

	// The admin may do everything and hand it on.
	var grants []string
	rows, err := db.QueryContext(ctx, "SHOW GRANTS")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			t.Fatal(err)
		}
		grants = append(grants, g)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(grants) == 0 || !strings.HasPrefix(grants[0], "GRANT ALL PRIVILEGES ON *.*") || !strings.HasSuffix(grants[0], "WITH GRANT OPTION") {
		t.Errorf("SHOW GRANTS = %q, want ALL PRIVILEGES ON *.* WITH GRANT OPTION", grants)
	}

	// A wrong password, and root over TCP, are refused.
	for _, c := range []struct{ user, password string }{{s.User, "wrong"}, {"root", ""}} {
		if _, err := s.Open(t, c.user, c.password, ""); !isAccessDenied(err) {
			t.Errorf("logging in as %s with password %q over TCP: %v, want access denied", c.user, c.password, err)
		}
	}

	// TLS works, verified by the CA that Server gives.
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(s.CA) {
		t.Fatal("CA holds no certificate")
	}
	cfg := s.Config(s.User, s.Password, "")
	cfg.TLS = &tls.Config{RootCAs: roots, ServerName: s.Host, MinVersion: tls.VersionTLS12}
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tdb := sql.OpenDB(c)
	defer func() { _ = tdb.Close() }()
	var name, cipher string
	if err := tdb.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil {
		t.Fatalf("TLS connection verified by the CA: %v", err)
	}
	if cipher == "" {
		t.Error("Ssl_cipher is empty on a TLS connection")
	}
	_ = tdb.Close()

	// Stop here; the cleanup that Start registered then has nothing to do.
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	// The process is gone (Stop waited for it), and so is the service.
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d after Stop: kill(0) = %v, want ESRCH", pid, err)
	}
	if _, err := s.Open(t, s.User, s.Password, ""); err == nil {
		t.Error("the server accepted a connection after Stop")
	}
	if err := s.Stop(); err != nil {
		t.Errorf("a second Stop: %v, want nil", err)
	}
	if _, err := os.Stat(s.dataDir); err != nil {
		t.Errorf("the data directory: %v", err)
	}
}

func isAccessDenied(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1045
}
