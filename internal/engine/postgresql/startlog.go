package postgresql

import (
	"context"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errStartLogged = "the server logged: %s"
	errLogSize     = "cannot size the server's log"
	errLogRead     = "cannot read the server's log"

	// startLogLines is how many of a failed start's log lines an error
	// quotes, the last ones.
	startLogLines = 10
	// startLogBytes bounds what a failed start reads of the log.
	startLogBytes = 1 << 20
)

// logSize is the size of the server's log before a start, so that a failed
// start quotes only what it logged itself.
func (i *Instance) logSize(ctx context.Context) int64 {
	res, err := i.shell(ctx, errLogSize, executor.ShellCommand("stat", "-c", "%s", "--", i.LogFile()))
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(res.Stdout), 10, 64)
	return n
}

// startError explains a failed start with the lines the server logged
// since from that say why (FATAL, PANIC, "could not"): pg_ctl only says
// "could not start server", while the log names the cause, such as a port
// another program holds or a lock file of another postmaster.
func (i *Instance) startError(ctx context.Context, err error, from int64) error {
	if err == nil {
		return nil
	}
	// The server's log may be large; only up to startLogBytes of what it
	// logged since from come back.
	res, rerr := i.shell(ctx, errLogRead, executor.ShellCommand("tail", "-c", "+"+strconv.FormatInt(from+1, 10), "--", i.LogFile())+" | "+executor.ShellCommand("head", "-c", strconv.Itoa(startLogBytes)))
	if rerr != nil {
		return err
	}
	why := loggedCauses(res.Stdout)
	if len(why) == 0 {
		return err
	}
	return errors.Wrapf(err, errStartLogged, strings.Join(why, "; "))
}

// loggedCauses returns the last startLogLines lines of log that say why a
// server stopped or did not start (FATAL, PANIC, "could not"), without
// their time and PID.
func loggedCauses(log string) []string {
	var why []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "FATAL") || strings.Contains(l, "PANIC") || strings.Contains(l, "could not") {
			// The time and PID before the level say nothing here.
			if _, rest, ok := strings.Cut(l, "] "); ok {
				l = rest
			}
			why = append(why, strings.Join(strings.Fields(l), " "))
		}
	}
	if len(why) > startLogLines {
		why = why[len(why)-startLogLines:]
	}
	return why
}
