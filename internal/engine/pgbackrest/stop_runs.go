package pgbackrest

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

const (
	errStopRuns = "cannot stop the pgBackRest runs of the instance in %s"
	errNoExec   = "the instance has no executor to reach its machine"

	// stopGrace is how long a run has to end after SIGTERM before it is
	// killed: pgBackRest ends within a second or two of it.
	stopGrace = 10 * time.Second
)

// stopScript stops the detached runs whose pid files follow the grace in
// seconds ("-all ROOT": every run of every stanza below ROOT). A run that
// wrote its exit code has ended. Otherwise its pid file holds the session
// its wrapper made with setsid, and every process of that session is the
// run's: the wrapper, timeout and pgBackRest with its local processes.
// They are found by session in /proc, not by name, and only while one of
// them names the stanza's directory (the exit code file, --config-path):
// the kernel reuses no session ID while a process of the session lives,
// so a session that does is the run's. SIGTERM first, so that pgBackRest
// releases its lock; SIGKILL after the grace.
const stopScript = `grace=$1; shift
if [ "$1" = -all ]; then set -- "$2"/*/log/*.pid; fi
members() {
  for st in /proc/[0-9]*/stat; do
    { read -r s < "$st"; } 2>/dev/null || continue
    p=${s%% *}
    s=${s##*") "}
    set -- $s
    [ "$4" = "$sid" ] || continue
    tr '\0' '\n' < /proc/"$p"/cmdline 2>/dev/null | grep -qF -- "$dir" && echo "$p"
  done
}
for pidf in "$@"; do
  [ -f "$pidf" ] || continue
  [ -f "${pidf%.pid}.rc" ] && continue
  { read -r sid < "$pidf"; } 2>/dev/null || continue
  case "$sid" in ''|*[!0-9]*) continue;; esac
  dir=${pidf%/log/*}
  ps=$(members)
  [ -n "$ps" ] || continue
  kill -TERM $ps 2>/dev/null
  n=0
  while ps=$(members) && [ -n "$ps" ]; do
    if [ "$n" -ge "$grace" ]; then kill -KILL $ps 2>/dev/null; fi
    if [ "$n" -ge $((grace * 2)) ]; then echo "processes $ps of $pidf outlived SIGKILL" >&2; exit 1; fi
    sleep 1; n=$((n + 1))
  done
done
exit 0
`

// StopRuns stops every detached run (backups, verifies) of every stanza of
// the instance on its machine, by the sessions their run files record;
// the instance's removal calls it first, since a run outlives the server
// and, once its store is gone too, retries it for many minutes.
func StopRuns(ctx context.Context, i *postgresql.Instance) error {
	root := filepath.Join(i.Dir, dir)
	return errors.Wrapf(stopRuns(ctx, i, "-all", root), errStopRuns, i.Dir)
}

// stopRuns runs stopScript on i's machine with pids: pid files, or "-all"
// and a root. It runs as the executor's user, root or the engine user who
// runs the runs, and not in the instance's directory (as RunAsEngine
// would), which a removal repeated after a failure may have removed.
func stopRuns(ctx context.Context, i *postgresql.Instance, pids ...string) error {
	if i.Exec == nil {
		return errors.New(errNoExec)
	}
	args := append([]string{"sh", "-c", stopScript, "sh", strconv.Itoa(int(stopGrace / time.Second))}, pids...)
	res, err := i.Exec.Run(ctx, executor.ShellCommand(args...), nil)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return errors.New(strings.TrimSpace(res.Stderr + "\n" + res.Stdout))
	}
	return nil
}
