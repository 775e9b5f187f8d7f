// This file holds the stages that run the server: the systemd unit, the
// start, the restart a postmaster setting needs, and the errors that quote
// what the server logged when it would not start.

package pgvm

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

const (
	errPortInUse   = "port %d is already in use on the machine, by another program or another PostgreSQL server; free it or choose another port: %s"
	errStartFailed = "PostgreSQL did not start: %s"

	pgCtlTimeout = "120"
)

// unitStep writes the systemd unit and has systemd read it.
func unitStep(o Options) steps.Step {
	p := o.unitPath()
	content := []byte(renderUnit(o))
	return steps.Step{
		Name: StepUnit,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			return ownedFileMatches(ctx, e, p, content, 0o644, "")
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			if err := writeOwnedFile(ctx, e, p, content, 0o644, ""); err != nil {
				return err
			}
			_, err := run(ctx, e, "systemctl daemon-reload", "systemctl daemon-reload")
			return err
		},
	}
}

// restart restarts the server with a fast shutdown: sessions are ended,
// transactions in flight rolled back.
func restart(ctx context.Context, e executor.Executor, o Options) error {
	if o.ServiceMode == ServiceSystemd {
		_, err := run(ctx, e, "systemctl restart", executor.ShellCommand("systemctl", "restart", "--", o.unitName()))
		return startError(ctx, e, o, err, 0)
	}
	size := logSize(ctx, e, o)
	_, err := run(ctx, e, "pg_ctl restart", asUser(o.OSUser, o.bin("pg_ctl"), "restart", "-s", "-w", "-t", pgCtlTimeout,
		"-m", "fast", "--pgdata="+o.dataDir(), "--log="+o.logFile()))
	return startError(ctx, e, o, err, size)
}

// startStep starts the server: with systemd, enabled and started as a unit;
// with pg_ctl, as the OS user, logging to the log file.
func startStep(o Options) steps.Step {
	if o.ServiceMode == ServiceSystemd {
		svc := steps.Service(o.unitName())
		return steps.Step{
			Name:  StepStart,
			Check: svc.Check,
			Apply: func(ctx context.Context, e executor.Executor) error {
				return startError(ctx, e, o, svc.Apply(ctx, e), 0)
			},
		}
	}
	return steps.Step{
		Name: StepStart,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			up, err := running(ctx, e, o)
			if err != nil || !up {
				return false, err
			}
			res, err := e.Run(ctx, executor.ShellCommand(o.bin("pg_isready"), "-q", "-h", o.socketDir(), "-p", strconv.Itoa(o.Port)), nil)
			return err == nil && res.ExitCode == 0, err
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			up, err := running(ctx, e, o)
			if err != nil {
				return err
			}
			if up {
				// Started, perhaps still recovering: wait for it.
				_, err := run(ctx, e, "pg_isready", executor.ShellCommand(o.bin("pg_isready"), "-q", "-t", pgCtlTimeout, "-h", o.socketDir(), "-p", strconv.Itoa(o.Port)))
				return err
			}
			size := logSize(ctx, e, o)
			_, err = run(ctx, e, "pg_ctl start", asUser(o.OSUser, o.bin("pg_ctl"), "start", "-s", "-w", "-t", pgCtlTimeout,
				"--pgdata="+o.dataDir(), "--log="+o.logFile()))
			return startError(ctx, e, o, err, size)
		},
	}
}

// logSize is the size of the log before a start, so that a failure quotes
// only what this start logged.
func logSize(ctx context.Context, e executor.Executor, o Options) int64 {
	res, err := e.Run(ctx, "wc -c < "+q(o.logFile())+" 2>/dev/null", nil)
	if err != nil || res.ExitCode != 0 {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(res.Stdout), 10, 64)
	return n
}

// startError explains a failed start with what the server logged: a port
// taken by another program is the common cause and is named as such.
func startError(ctx context.Context, e executor.Executor, o Options, err error, logFrom int64) error {
	if err == nil {
		return nil
	}
	cmd := fmt.Sprintf("tail -c +%d -- %s | grep -E 'FATAL|PANIC|ERROR|LOG:  could not' | tail -n 10", logFrom+1, q(o.logFile()))
	if o.ServiceMode == ServiceSystemd {
		cmd = executor.ShellCommand("journalctl", "--no-pager", "--quiet", "-n", "20", "-u", o.unitName()) + " | grep -E 'FATAL|PANIC|ERROR|could not' | tail -n 10"
	}
	res, rerr := e.Run(context.WithoutCancel(ctx), cmd, nil)
	logged := ""
	if rerr == nil {
		var lines []string
		for _, l := range strings.Split(res.Stdout, "\n") {
			if l = strings.Join(strings.Fields(l), " "); l != "" {
				lines = append(lines, l)
			}
		}
		logged = strings.Join(lines, "; ")
	}
	cause := err.Error()
	if logged != "" {
		cause = "the server logged: " + logged
	}
	if strings.Contains(logged, "Address already in use") {
		return errors.Errorf(errPortInUse, o.Port, cause)
	}
	return errors.Errorf(errStartFailed, cause)
}
