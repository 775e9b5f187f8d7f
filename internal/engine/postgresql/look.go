package postgresql

import (
	"context"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errLook    = "cannot look at the member's files and processes"
	errLookCut = "the look at the member's files and processes ended early: %q"

	// lookEnd is the last line of the look's output: without it the
	// output was cut short and says nothing about what it left out.
	lookEnd = "end"
)

// A Look is what one look at a member found: the files that say what it
// is, its postmaster and, when the server lets the provider in, what the
// server says about itself and, as a primary, about its replicas. It
// takes one command on the member's machine (over SSH one round trip
// through sudo) and one admin session over the server's socket, because
// the provider looks at every member every few seconds, and during a
// failover the look that decides is on the path to a writable primary.
type Look struct {
	// Answered is true when the member's machine ran the look's command;
	// the rest is only known then.
	Answered bool
	// Initialized is true once initdb (or a replica's copy) completed.
	Initialized bool
	// Standby is true when the data directory is marked to start as a
	// standby.
	Standby bool
	// Fenced is true when the member is fenced, at FenceEpoch. A marker
	// that cannot be read as an epoch still fences, at epoch 0.
	Fenced     bool
	FenceEpoch int64
	// Also is true when the caller's script (see Look) ran and exited 0.
	Also bool
	// Sums are the SHA-256 checksums of the configuration files that
	// exist, by path, for Current.
	Sums map[string]string
	// Status is what the server says about itself; Status.Running comes
	// from the command, the rest from the admin session.
	Status
	// Senders is the server's view of the replicas streaming from it,
	// read in the same query as Status when it is Ready.
	Senders Senders
	// Roles is what a Ready primary (not in recovery) holds of the
	// provider's roles, read over the same session (see ObserveRoles);
	// nil when the server was not asked, is a standby or the read failed.
	Roles *RolesState
}

// Look looks at the member once: one command reads its marker files and
// finds its postmaster, and, when one runs for the data directory, one
// admin session asks the server. also is a script of the caller's that
// the same command runs, on an initialized member only, such as renewing
// the heartbeat of the member's watchdog and checking that it runs;
// Look.Also reports whether it exited 0. The error says why the machine
// or the server could not be asked; the files are in the Look when the
// machine answered (Answered) and only the server failed. On a primary the
// same session also reads the provider's roles (Look.Roles).
func (i *Instance) Look(ctx context.Context, password, also string) (Look, error) {
	res, err := i.shell(ctx, errLook, lookScript(i.Dir, i.DataDir(), i.configPaths(), also))
	if err != nil {
		return Look{}, err
	}
	l, err := parseLook(res.Stdout, i.DataDir())
	if err != nil || !l.Initialized || !l.Running {
		return l, err
	}
	c, err := i.ConnectAdmin(ctx, password)
	if err != nil {
		// A server that is starting or refuses us is running but not
		// ready; the instance's condition says why.
		l.Unanswered = err.Error()
		return l, nil
	}
	defer c.Close(context.Background())
	s, snd, err := readServer(ctx, c)
	if err != nil {
		return l, err
	}
	s.Running = true
	l.Status, l.Senders = s, snd
	if s.InRecovery {
		return l, nil
	}
	// A failure here leaves Roles nil and the look whole: the server
	// answered, and the caller asks for the roles on their own.
	if roles, err := i.readRoles(ctx, c, password); err == nil {
		l.Roles = &roles
	}
	return l, nil
}

// lookScript is the command of a look at the member in dir: one line per
// marker file that exists, the epoch in the fence marker, then the
// postmaster (see postmasterScript), the configuration files' checksums
// (sumsScript), whether also exited 0, and lookEnd.
// A test that fails prints nothing and the script goes on: only a shell
// that could not run at all, or sudo refusing, fails the command.
func lookScript(dir, dataDir string, conf []string, also string) string {
	q := executor.ShellQuote
	s := "d=" + q(dir) + "\n" +
		"[ -e \"$d\"/" + markerFile + " ] && echo initialized\n" +
		"[ -e " + q(dataDir) + "/" + standbySignal + " ] && echo standby\n" +
		"[ -e \"$d\"/" + fenceFile + " ] && printf 'fenced %s\\n' \"$(head -n 1 -- \"$d\"/" + fenceFile + " 2>/dev/null)\"\n" +
		postmasterScript(dataDir) + sumsScript(conf)
	if also != "" {
		// A subshell, so that also's exit or cd does not end the look.
		s += "[ -e \"$d\"/" + markerFile + " ] && ( " + also + "\n) </dev/null >/dev/null 2>&1 && echo also\n"
	}
	return s + "echo " + lookEnd + "\n"
}

// postmasterScript prints the PID that postmaster.pid of dataDir names
// ("pid N"), that process's arguments ("arg ...", one a line) and its
// working directory ("cwd ..."), which tell whether it runs for dataDir
// (see belongsTo); nothing when the file names no process.
func postmasterScript(dataDir string) string {
	return "pid=$(head -n 1 -- " + executor.ShellQuote(dataDir+"/"+pidFileName) + " 2>/dev/null)\n" +
		"case \"$pid\" in ''|*[!0-9]*) ;; *)\n" +
		"  printf 'pid %s\\n' \"$pid\"\n" +
		"  tr '\\0' '\\n' < /proc/\"$pid\"/cmdline 2>/dev/null | sed 's/^/arg /'\n" +
		"  printf 'cwd %s\\n' \"$(readlink /proc/\"$pid\"/cwd 2>/dev/null)\";;\n" +
		"esac\n"
}

// parseLook reads the output of lookScript (or of a script that ends
// with postmasterScript and lookEnd) for the member whose data directory
// is dataDir. The postmaster runs when the PID's arguments or working
// directory are in dataDir, as belongsTo decides; a zombie has neither.
func parseLook(out, dataDir string) (Look, error) {
	l := Look{Sums: map[string]string{}}
	var pid int
	var ours, ended bool
	for _, line := range strings.Split(out, "\n") {
		key, value, _ := strings.Cut(line, " ")
		switch key {
		case "initialized":
			l.Initialized = true
		case "standby":
			l.Standby = true
		case "fenced":
			l.Fenced = true
			l.FenceEpoch, _ = strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		case "pid":
			pid, _ = strconv.Atoi(value)
		case "arg", "cwd":
			ours = ours || underDir(value, dataDir)
		case "sum":
			if p, sum, ok := parseSum(value); ok {
				l.Sums[p] = sum
			}
		case "also":
			l.Also = true
		case lookEnd:
			ended = true
		}
	}
	if !ended {
		return Look{}, errors.Errorf(errLookCut, out)
	}
	l.Answered = true
	l.Running = pid > 0 && ours
	return l, nil
}
