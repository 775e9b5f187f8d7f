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
	"crypto/rand"
	"database/sql/driver"
	"encoding/hex"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dbaas-io/dbaas/internal/ports"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/go-sql-driver/mysql"
)

// runAs is the unprivileged user the server runs as when the tests run as
// root, because mariadbd refuses to run as root unless told to.
const runAs = "mysql"

const (
	// portAttempts bounds the retries when another process takes the port
	// between freePort and the server binding it.
	portAttempts = 5
	// readyTimeout and stopTimeout bound waits so that a broken server
	// fails the test instead of hanging it; they are not expectations.
	readyTimeout = 90 * time.Second
	stopTimeout  = 60 * time.Second
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

// startOnFreePort starts the server on a free port, trying another one when
// the port was taken in the meantime.
func (s *Server) startOnFreePort() error {
	var err error
	for range portAttempts {
		var port int
		if port, err = freePort(); err != nil {
			return err
		}
		var collision bool
		if collision, err = s.start(port); err == nil || !collision {
			return err
		}
	}
	return errors.Wrapf(err, "no free port after %d attempts", portAttempts)
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
	p, err := startProcess(s.logFile, ServerBin, args...)
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
	_ = p.stop()
	log, _ := os.ReadFile(s.logFile)
	return strings.Contains(string(log), "Address already in use"),
		errors.Wrapf(err, "cannot start MariaDB on port %d:\n%s", port, log)
}

// waitReady polls the server's own socket, which no other server can be
// listening on, until it accepts root or p exits.
func (s *Server) waitReady(ctx context.Context, p *process) error {
	wait := 10 * time.Millisecond
	for {
		err := s.ping(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
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

// A process is a running server.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // how it exited; set before done is closed
}

// startProcess runs bin with its output in logFile.
func startProcess(logFile, bin string, args ...string) (*process, error) {
	log, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, errors.Wrap(err, "cannot create the server log")
	}
	// The child has its own copy of the descriptor.
	defer func() { _ = log.Close() }()
	cmd, err := command(bin, args...)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	// A test binary that dies (a panic, a -timeout) takes its server with
	// it instead of leaving it running. Go sets the signal after switching
	// to the server's user, so, unlike with setpriv, the switch does not
	// clear it.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		return nil, errors.Wrapf(err, "cannot run %s", bin)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// stop sends SIGTERM to the server's process, by its PID, and waits until it
// has shut down; it kills it when it does not.
func (p *process) stop() error {
	select {
	case <-p.done:
		return errors.Errorf("the server had already exited (%v)", p.err)
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return errors.Wrap(err, "cannot signal the server")
	}
	select {
	case <-p.done:
		return errors.Wrap(p.err, "the server did not shut down cleanly")
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return errors.Errorf("the server did not stop within %s of SIGTERM and was killed", stopTimeout)
	}
}

// command prepares bin to run as the server's user when we are root. The
// credentials do what setpriv --reuid --regid --init-groups does.
func command(bin string, args ...string) (*exec.Cmd, error) {
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd, nil
}

// serverCredential is the server user's identity when we are root, nil
// otherwise.
var serverCredential = sync.OnceValues(func() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(runAs)
	if err != nil {
		return nil, errors.Wrapf(err, "cannot look up user %s", runAs)
	}
	uid, gid, err := ids(u)
	if err != nil {
		return nil, err
	}
	gids, err := u.GroupIds()
	if err != nil {
		return nil, errors.Wrapf(err, "cannot look up the groups of user %s", runAs)
	}
	groups := make([]uint32, 0, len(gids))
	for _, g := range gids {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, errors.Wrapf(err, "bad group id of user %s", runAs)
		}
		groups = append(groups, uint32(n))
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}, nil
})

func ids(u *user.User) (int, int, error) {
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return 0, 0, errors.Wrapf(err, "bad uid of user %s", runAs)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return 0, 0, errors.Wrapf(err, "bad gid of user %s", runAs)
	}
	return uid, gid, nil
}

// chownToServerUser gives dir to the server's user when we are root.
func chownToServerUser(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup(runAs)
	if err != nil {
		return errors.Wrapf(err, "cannot look up user %s", runAs)
	}
	uid, gid, err := ids(u)
	if err != nil {
		return err
	}
	return errors.Wrap(filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	}), "cannot hand the server directory to its user")
}

// freePort returns a free loopback port. Another process could take it
// before the server binds it; startOnFreePort then tries another.
func freePort() (int, error) { return ports.Free() }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// rootConnector reaches root through the server's socket.
func (s *Server) rootConnector() (driver.Connector, error) {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", s.socket
	c, err := mysql.NewConnector(cfg)
	return c, errors.Wrap(err, "cannot configure the connection")
}
