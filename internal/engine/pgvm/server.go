// This file holds how the play and the lifecycle reach a server on the
// machine: whether it runs, where it listens, and psql over its socket.

package pgvm

import (
	"context"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

// running reports whether the server runs: its unit is active, or pg_ctl
// finds its postmaster.
func running(ctx context.Context, e executor.Executor, o Options) (bool, error) {
	cmd := asUser(o.OSUser, o.bin("pg_ctl"), "status", "--pgdata="+o.dataDir())
	if o.ServiceMode == ServiceSystemd {
		cmd = executor.ShellCommand("systemctl", "is-active", "--quiet", "--", o.unitName())
	}
	res, err := e.Run(ctx, cmd, nil)
	if err != nil {
		return false, errors.Wrapf(err, errRun, "a status check")
	}
	return res.ExitCode == 0, nil
}

// A socket is where a running server listens on the machine.
type socket struct {
	dir  string
	port int
}

// socketOf is where the server listens once it has read its settings.
func socketOf(o Options) socket { return socket{dir: o.socketDir(), port: o.Port} }

// socketFrom is where a server that read the settings file old listens,
// so that a server still on an old port is reached to reload it.
func socketFrom(o Options, old string) socket {
	s := socketOf(o)
	m := parseSettings(old)
	if v, ok := m["port"]; ok {
		if p, err := strconv.Atoi(strings.Trim(v, "'")); err == nil {
			s.port = p
		}
	}
	if v, ok := m["unix_socket_directories"]; ok {
		if d, _, _ := strings.Cut(strings.Trim(v, "'"), ","); d != "" {
			s.dir = strings.TrimSpace(d)
		}
	}
	return s
}

// psql runs sql as the superuser over the unix socket, as the OS user
// (peer authentication), and returns its unaligned output.
func psql(ctx context.Context, e executor.Executor, o Options, at socket, sql string) (string, error) {
	res, err := run(ctx, e, "psql", asUser(o.OSUser, o.bin("psql"), "-X", "-A", "-t", "-q",
		"-v", "ON_ERROR_STOP=1", "-h", at.dir, "-p", strconv.Itoa(at.port),
		"-U", o.OSUser, "-d", "postgres", "-c", sql))
	return strings.TrimSpace(res.Stdout), err
}
