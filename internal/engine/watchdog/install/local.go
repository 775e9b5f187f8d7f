package install

import (
	"context"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
	"github.com/dbaas-io/dbaas/internal/engine/watchdog"
)

const (
	errRun       = "cannot run %s"
	errFailed    = "%s exited with %d: %s"
	errNoPIDFile = "%s started detached needs a pid file and a log file"

	// StepStart names the step that starts the watchdog detached.
	StepStart = "start watchdog"
)

// StartStep starts the watchdog detached on a machine without systemd (the
// local backend), recording its PID in p.PIDFile: StartDaemonStep of the
// watchdog.
func StartStep(p watchdog.Process) steps.Step { return StartDaemonStep(StepStart, daemonOf(p)) }

// Stop stops the watchdog StartStep started, if it runs; it is for the
// member's removal.
func Stop(ctx context.Context, e executor.Executor, p watchdog.Process) error {
	return StopDaemon(ctx, e, daemonOf(p))
}

// CheckScript is the command that exits 0 when the watchdog StartStep
// started runs as p says, for a look that asks in the command it runs
// anyway.
func CheckScript(p watchdog.Process) string { return checkScript(daemonOf(p)) }

// daemonOf is the watchdog as a daemon: its configuration file tells one
// member's watchdog from another's.
func daemonOf(p watchdog.Process) Daemon {
	return Daemon{
		What: "the watchdog", Description: "dbaas self-fencing watchdog (" + p.ConfigFile + ")",
		Args: p.Args(), Mark: "--config=" + p.ConfigFile, OSUser: p.OSUser, PIDFile: p.PIDFile, LogFile: p.LogFile,
	}
}

// StartDaemonStep starts d detached on a machine without systemd (the
// local backend), recording its PID in d.PIDFile. Check: the PID in the
// file is alive and runs exactly d's command line (so a PID reused by
// another process, or the daemon of another member, is not taken for
// ours). Apply: a daemon of this member that runs with another command
// line (a new interval, say) is stopped, and d is started in a session of
// its own as d.OSUser (when the executor is root), with its output
// appended to d.LogFile, so that it outlives the command, the executor's
// connection and the provider. Nothing restarts it should it die: the
// play's next run does.
func StartDaemonStep(name string, d Daemon) steps.Step {
	return steps.Step{
		Name: name,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			if d.PIDFile == "" || d.LogFile == "" {
				return false, errors.Errorf(errNoPIDFile, d.What)
			}
			res, err := e.Run(ctx, checkScript(d), nil)
			if err != nil {
				return false, errors.Wrapf(err, errRun, d.What+"'s check")
			}
			return res.ExitCode == 0, nil
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			return runScript(ctx, e, d.What+"'s start", stopOursScript(d)+startScript(d))
		},
	}
}

// StopDaemon stops the daemon StartDaemonStep started, if it runs, and
// removes its pid file.
func StopDaemon(ctx context.Context, e executor.Executor, d Daemon) error {
	return runScript(ctx, e, d.What+"'s stop", stopOursScript(d)+"rm -f -- "+q(d.PIDFile)+"\n")
}

// DaemonCheckScript is the command that exits 0 when the daemon
// StartDaemonStep started runs as d says.
func DaemonCheckScript(d Daemon) string { return checkScript(d) }

// checkScript exits 0 when the pid file names a live process whose command
// line is d's.
func checkScript(d Daemon) string {
	return "pid=$(head -n 1 " + q(d.PIDFile) + " 2>/dev/null) || exit 1\n" +
		"case \"$pid\" in ''|*[!0-9]*) exit 1;; esac\n" +
		"[ \"$(tr '\\0' '\\n' < /proc/\"$pid\"/cmdline 2>/dev/null)\" = \"$(printf '%s\\n' " + executor.ShellCommand(d.Args...) + ")\" ]\n"
}

// stopOursScript stops the process the pid file names when it is d's
// program for this member (its program is d.Args[0] and its command line
// holds d.Mark), whatever its other flags, and waits for it to go: for
// its command line to be empty, which it is for a process that has exited
// and that nobody reaped yet too.
func stopOursScript(d Daemon) string {
	return "old=$(head -n 1 " + q(d.PIDFile) + " 2>/dev/null)\n" +
		"case \"$old\" in ''|*[!0-9]*) old=;; esac\n" +
		"if [ -n \"$old\" ] && [ \"$(tr '\\0' '\\n' < /proc/\"$old\"/cmdline 2>/dev/null | head -n 1)\" = " + q(d.Args[0]) + " ] &&\n" +
		"  tr '\\0' '\\n' < /proc/\"$old\"/cmdline 2>/dev/null | grep -qxF -- " + q(d.Mark) + "; then\n" +
		"  kill \"$old\" 2>/dev/null\n" +
		"  i=0; while [ -n \"$(head -c 1 /proc/\"$old\"/cmdline 2>/dev/null | tr '\\0' x)\" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done\n" +
		"fi\n"
}

// startScript starts d in a session of its own, with d.Env in its
// environment, records its PID, and waits until the process runs d's
// command line, so that the step's check right after finds it. setsid and
// setpriv replace themselves with the next program (the background job is
// no process group leader, so setsid need not fork), so $! is the daemon's
// own PID. A daemon that exits at once (a zombie, or gone) fails the step
// with the end of its log. An empty command line alone is no sign of
// that: a process in the middle of execve reads as one, between the
// kernel installing the new program's memory and recording its arguments,
// and under load the loop looks in that window.
func startScript(d Daemon) string {
	u := q(d.OSUser)
	want := "\"$(printf '%s\\n' " + executor.ShellCommand(d.Args...) + ")\""
	env := ""
	for _, kv := range d.Env {
		name, value, _ := strings.Cut(kv, "=")
		env += name + "=" + q(value) + " "
	}
	return "cd / || exit 1\n" +
		"if [ \"$(id -u)\" -eq 0 ] && [ -n " + u + " ]; then set -- setpriv --reuid=" + u + " --regid=" + u + " --init-groups --; else set --; fi\n" +
		env + "setsid \"$@\" " + executor.ShellCommand(d.Args...) + " </dev/null >>" + q(d.LogFile) + " 2>&1 &\n" +
		"pid=$!\n" +
		"echo \"$pid\" > " + q(d.PIDFile+".tmp") + " && mv -f -- " + q(d.PIDFile+".tmp") + " " + q(d.PIDFile) + " || exit 1\n" +
		"i=0\n" +
		"while :; do\n" +
		"  c=$(tr '\\0' '\\n' < /proc/\"$pid\"/cmdline 2>/dev/null)\n" +
		"  [ \"$c\" = " + want + " ] && exit 0\n" +
		"  s=$(sed -n 's/^State:[[:space:]]*\\(.\\).*/\\1/p' /proc/\"$pid\"/status 2>/dev/null)\n" +
		"  if [ -z \"$s\" ] || [ \"$s\" = Z ] || [ \"$s\" = X ] || [ $i -ge 200 ]; then echo \"" + d.What + " did not start: $(tail -n 5 " + q(d.LogFile) + ")\" >&2; exit 1; fi\n" +
		"  sleep 0.05; i=$((i+1))\n" +
		"done\n"
}

// runScript runs script and fails unless it exits 0; scripts carry no
// secrets, so the error may quote what they said.
func runScript(ctx context.Context, e executor.Executor, what, script string) error {
	res, err := e.Run(ctx, script, nil)
	if err != nil {
		return errors.Wrapf(err, errRun, what)
	}
	if res.ExitCode != 0 {
		return ExitError(what, res)
	}
	return nil
}

func q(s string) string { return executor.ShellQuote(s) }

// ExitError is the error of a script that exited with res's code; scripts
// carry no secrets, so it may quote what they said.
func ExitError(what string, res executor.Result) error {
	return errors.Errorf(errFailed, what, res.ExitCode, strings.TrimSpace(res.Stderr+" "+res.Stdout))
}
