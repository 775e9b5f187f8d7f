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

package mysql

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/dbms"
	"github.com/dbaas-io/dbaas/internal/testing/integration"
	"github.com/dbaas-io/dbaas/internal/testing/mariadbtest"
)

// The one MariaDB server the package's tests share, started by the first
// test that needs it: unit tests and fuzzing (whose workers run TestMain
// too) need none.
var (
	serverOnce sync.Once
	server     *mariadbtest.Server
	serverErr  error
	serverDir  string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	code := m.Run()
	if server != nil {
		if err := server.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	if serverDir != "" {
		_ = os.RemoveAll(serverDir)
	}
	return code
}

// srv returns the shared server, starting it on first use.
func srv(t testing.TB) *mariadbtest.Server {
	t.Helper()
	integration.Needs(t, "MariaDB (make deps)")
	serverOnce.Do(func() {
		if serverDir, serverErr = os.MkdirTemp("", "mysqlclient-"); serverErr != nil {
			return
		}
		server, serverErr = mariadbtest.New(serverDir)
	})
	if serverErr != nil {
		t.Fatal(serverErr)
	}
	return server
}

func adminConfig(t testing.TB) dbms.Config {
	t.Helper()
	server := srv(t)
	return dbms.Config{
		Engine:   dbms.MariaDB,
		Host:     server.Host,
		Port:     server.Port,
		User:     server.User,
		Password: server.Password,
		TLS:      dbms.TLS{Mode: dbms.TLSDisable},
	}
}

// newClient connects as the admin and closes the pool when the test ends.
func newClient(t *testing.T) *Client {
	t.Helper()
	c, err := Connect(context.Background(), adminConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// exec runs statements as the admin, for setting up what the client under
// test does not make itself.
func exec(t *testing.T, stmts ...string) {
	t.Helper()
	db := srv(t).Admin(t)
	for _, q := range stmts {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// without returns names without name.
func without(names []string, name string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == name })
}

func ptr[T any](v T) *T { return &v }
