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
	"database/sql/driver"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/go-sql-driver/mysql"

	"github.com/dbaas-io/dbaas/internal/runas"
	"github.com/dbaas-io/dbaas/internal/testing/testproc"
)

// serverUser is the unprivileged user the server runs as when the tests run
// as root, because mariadbd refuses to run as root unless told to.
const serverUser runas.User = "mysql"

const (
	// readyTimeout bounds the wait for the server so that a broken server
	// fails the test instead of hanging it; it is not an expectation.
	readyTimeout = 90 * time.Second
)

// tuning keeps the server small and quick: the tests run on small machines
// next to other suites, and the data is thrown away, so durability buys
// nothing. Both the bootstrap (mariadb-install-db) and the server get it, so
// that the redo log is created at the size the server expects.
var tuning = []string{
	"--innodb-buffer-pool-size=8M",
	"--innodb-log-file-size=4M",
	"--innodb-flush-log-at-trx-commit=0",
	"--skip-innodb-doublewrite",
	// Native AIO is unavailable in some containers; the server would fail
	// to start there rather than fall back.
	"--innodb-use-native-aio=0",
	"--key-buffer-size=1M",
	"--aria-pagecache-buffer-size=4M",
	"--performance-schema=OFF",
	// What Debian's packaged configuration sets, which --no-defaults skips.
	"--character-set-server=utf8mb4",
	"--collation-server=utf8mb4_general_ci",
}

// start runs mariadbd on port and waits until it accepts connections. It
// reports whether a failure was because the port was taken.
func (s *Server) start(port int) (bool, error) {
	args := append([]string{"--no-defaults",
		"--datadir=" + s.dataDir,
		// Servers that share a temporary directory clash over the names
		// of their temporary files.
		"--tmpdir=" + s.tmpDir,
		"--socket=" + s.socket,
		"--pid-file=" + filepath.Join(s.root, "mariadb.pid"),
		"--bind-address=" + s.Host,
		"--port=" + strconv.Itoa(port),
		"--skip-name-resolve",
		"--ssl-cert=" + filepath.Join(s.root, certFile),
		"--ssl-key=" + filepath.Join(s.root, keyFile),
	}, tuning...)
	cmd, err := serverUser.Command(ServerBin, args...)
	if err != nil {
		return false, err
	}
	p, err := testproc.StartProcess(s.logFile, cmd)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	err = s.waitReady(ctx, p)
	if err == nil {
		s.Port, s.proc = port, p
		return false, nil
	}
	_ = p.Stop()
	log, _ := os.ReadFile(s.logFile)
	return strings.Contains(string(log), "Address already in use"),
		errors.Wrapf(err, "cannot start MariaDB on port %d:\n%s", port, log)
}

// waitReady polls the server's own socket, which no other server can be
// listening on, until it accepts root or p exits.
func (s *Server) waitReady(ctx context.Context, p *testproc.Process) error {
	wait := 10 * time.Millisecond
	for {
		err := s.ping(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-p.Done():
			return errors.New("the server exited")
		case <-ctx.Done():
			return errors.Wrap(err, "the server did not accept connections in time")
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

func (s *Server) ping(ctx context.Context) error {
	c, err := s.rootConnector()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := c.Connect(ctx)
	if err != nil {
		return err
	}
	return conn.Close()
}

// rootConnector reaches root through the server's socket.
func (s *Server) rootConnector() (driver.Connector, error) {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", s.socket
	c, err := mysql.NewConnector(cfg)
	return c, errors.Wrap(err, "cannot configure the connection")
}
