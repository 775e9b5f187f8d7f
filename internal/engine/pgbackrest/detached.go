package pgbackrest

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errRunID     = "%q cannot name a backup run: only lower-case letters, digits and dashes"
	errStartRun  = "cannot start pgbackrest backup"
	errLookRun   = "cannot look at the pgbackrest backup started as %s"
	errRunOutput = "cannot read what pgbackrest backup %s reported"

	// AnnotationKey is the annotation a detached backup is taken with; its
	// value is the run's ID, by which the backup is found in Info.
	AnnotationKey = "dbaas-backup-uid"

	// ExitLockHeld is pgBackRest's exit code when another of its processes
	// holds the stanza's lock (LockAcquireError): another backup, or an
	// expire, runs.
	ExitLockHeld = 50

	// tailBytes is how much of a run's output is kept for its report.
	tailBytes = 2000

	// ExitTimedOut is timeout(1)'s exit code for a run that reached its
	// bound and ended at SIGTERM.
	ExitTimedOut = 124
	// ExitKilled is timeout(1)'s exit code for a run still there
	// killAfter after its bound, killed by SIGKILL.
	ExitKilled = 128 + 9

	// killAfter is how long a run stopped at its bound has to end before
	// it is killed: pgBackRest ends within a second or two of SIGTERM,
	// releasing its lock; thirty seconds leave room for a loaded machine.
	killAfter = 30 * time.Second
)

// runID is what a run's ID may hold: it becomes a file name and an
// annotation. A Kubernetes UID fits.
var runID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// RunState is what the machine says of a backup started detached.
type RunState int

// Run states: no run of the ID was started here; it runs; it exited (with
// Run.ExitCode); it is gone without an exit code (killed, or the machine
// restarted).
const (
	RunNone RunState = iota
	RunRunning
	RunExited
	RunGone
)

// A Run is a backup started detached, as its files on the machine tell.
type Run struct {
	State    RunState
	ExitCode int
	// Output is the end of what pgBackRest printed: its warnings and
	// errors only (log-level-console is off, log-level-stderr warn), which
	// never hold the repository's credentials.
	Output string
}

// Kinds of detached runs: a run's files are named by its kind and ID.
const (
	runBackup = "backup"
	runVerify = "verify"
)

// runFiles are a run's output, pid and exit code files, in the stanza's
// log directory on the machine.
func (s *Stanza) runFiles(kind, id string) (out, pid, rc string) {
	base := filepath.Join(s.Config().LogPath, kind+"-"+id)
	return base + ".out", base + ".pid", base + ".rc"
}

// StartBackup starts `pgbackrest backup --type=typ` annotated with id and
// returns once it runs, without waiting for it: a backup takes as long as
// the database is large, longer than anyone should hold a connection or a
// reconcile. It runs in a session of its own as the engine user, so it
// outlives the command, the executor's connection and the provider; its
// output goes to a file and its exit code to another when it ends
// (BackupRun reads them). The stanza's configuration must be on the
// machine already. opts are further options of the backup, such as
// FromStandby's.
func (s *Stanza) StartBackup(ctx context.Context, typ, id string, opts ...string) error {
	if typ != TypeFull && typ != TypeDiff && typ != TypeIncr {
		return errors.Errorf(errBackupType, typ)
	}
	if !runID.MatchString(id) {
		return errors.Errorf(errRunID, id)
	}
	args := append([]string{"--type=" + typ, "--annotation=" + AnnotationKey + "=" + id}, opts...)
	// A backup has no bound of its own: it takes as long as the database
	// is large. It ends with its instance (StopRuns).
	return errors.Wrap(s.startDetached(ctx, runBackup, id, 0, append(s.command(args...), "backup")), errStartRun)
}

// startDetached starts command as the run kind/id of the stanza, in a
// session of its own as the engine user, and returns once it runs. A
// limit above zero is the run's bound: coreutils' timeout stops it then
// (ExitTimedOut), and kills it killAfter later if it is still there,
// since pgBackRest retrying a store that is gone outlived its own
// timeouts by many minutes.
func (s *Stanza) startDetached(ctx context.Context, kind, id string, limit time.Duration, command []string) error {
	if err := ValidateStanza(s.Name); err != nil {
		return err
	}
	if limit > 0 {
		command = append([]string{"timeout", "--kill-after=" + seconds(killAfter), seconds(limit)}, command...)
	}
	out, pid, rc := s.runFiles(kind, id)
	// setsid replaces itself with the inner shell (a background job is no
	// process group leader, so setsid need not fork): $! is that shell,
	// which waits for pgBackRest and writes its exit code, atomically.
	// A run of the ID that still runs is left alone, so that a start
	// repeated (by a provider that did not record the first) takes no
	// second backup.
	script := `out=$1 pid=$2 rc=$3; shift 3
if [ -f "$pid" ] && [ ! -f "$rc" ]; then
  p=$(head -n 1 "$pid")
  case "$p" in ''|*[!0-9]*) p=;; esac
  if [ -n "$p" ] && tr '\0' '\n' < /proc/"$p"/cmdline 2>/dev/null | grep -qxF -- "$rc"; then exit 0; fi
fi
rm -f -- "$rc" "$out"
cd / || exit 1
setsid sh -c '"$@"; echo $? > "$0.tmp" && mv -f -- "$0.tmp" "$0"' "$rc" "$@" </dev/null >"$out" 2>&1 &
echo $! > "$pid.tmp" && mv -f -- "$pid.tmp" "$pid"
`
	_, err := s.Instance.RunAsEngine(ctx, nil, nil, append([]string{"sh", "-c", script, "sh", out, pid, rc}, command...)...)
	return err
}

// seconds is d as timeout(1) takes it, in whole seconds, at least one.
func seconds(d time.Duration) string {
	return strconv.FormatInt(max(int64((d+time.Second-1)/time.Second), 1), 10) + "s"
}

// BackupRun reports the backup StartBackup started as id on this machine.
// A process counts as the run only when its command line is the run's
// (the exit code file's name is on it), so a PID reused by another process
// is not taken for it. A run that ends between the look at its exit code
// and the look at its process has written its exit code by then (the
// wrapper exits after that), so the exit code is read again before the run
// is called gone.
func (s *Stanza) BackupRun(ctx context.Context, id string) (Run, error) {
	if !runID.MatchString(id) {
		return Run{}, errors.Errorf(errRunID, id)
	}
	run, err := s.lookDetached(ctx, runBackup, id, tailBytes)
	return run, errors.Wrapf(err, errLookRun, id)
}

// lookDetached reports the run kind/id with the last keep bytes of its
// output.
func (s *Stanza) lookDetached(ctx context.Context, kind, id string, keep int) (Run, error) {
	out, pid, rc := s.runFiles(kind, id)
	script := `out=$1 pid=$2 rc=$3
if [ ! -f "$pid" ]; then echo none; exit 0; fi
if [ -f "$rc" ]; then echo "exit $(head -n 1 "$rc")"
else
  p=$(head -n 1 "$pid")
  case "$p" in ''|*[!0-9]*) p=;; esac
  if [ -n "$p" ] && tr '\0' '\n' < /proc/"$p"/cmdline 2>/dev/null | grep -qxF -- "$rc"; then echo running
  elif [ -f "$rc" ]; then echo "exit $(head -n 1 "$rc")"
  else echo gone; fi
fi
tail -c ` + strconv.Itoa(keep) + ` -- "$out" 2>/dev/null
exit 0
`
	res, err := s.Instance.RunAsEngine(ctx, nil, nil, "sh", "-c", script, "sh", out, pid, rc)
	if err != nil {
		return Run{}, err
	}
	return parseRun(res.Stdout)
}

// parseRun reads BackupRun's report: a state line, then the output's end.
func parseRun(report string) (Run, error) {
	first, rest, _ := strings.Cut(report, "\n")
	r := Run{Output: strings.TrimSpace(rest)}
	switch {
	case first == "none":
		r.State = RunNone
	case first == "running":
		r.State = RunRunning
	case first == "gone":
		r.State = RunGone
	case strings.HasPrefix(first, "exit "):
		code, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(first, "exit ")))
		if err != nil {
			return Run{}, errors.Wrapf(err, errRunOutput, first)
		}
		r.State, r.ExitCode = RunExited, code
	default:
		return Run{}, errors.Errorf(errRunOutput, first)
	}
	return r, nil
}

// RemoveBackupRun removes the files of the run id, once what they say is
// recorded elsewhere.
func (s *Stanza) RemoveBackupRun(ctx context.Context, id string) error {
	if !runID.MatchString(id) {
		return errors.Errorf(errRunID, id)
	}
	out, pid, rc := s.runFiles(runBackup, id)
	_, err := s.Instance.RunAsEngine(ctx, nil, nil, "rm", "-f", "--", out, pid, rc)
	return err
}

// ErrorLines is pgBackRest's output from its first ERROR on, or all of it
// when it holds none: the warnings before an error (such as an unset
// retention) are not why it failed. A failed HTTP request is shortened by
// BriefHTTP.
func ErrorLines(output string) string {
	if i := strings.Index(output, "ERROR:"); i >= 0 {
		output = output[i:]
	}
	return BriefHTTP(strings.TrimSpace(output))
}
