package pgvm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

const (
	errNotInstalled   = "PostgreSQL %s is not installed on the machine: %s is missing; install the package postgresql-%s"
	errNoUser         = "the OS user %s does not exist on the machine; installing postgresql-%s creates it"
	errNotDir         = "%s exists and is not a directory"
	errOwnedByOther   = "the data directory %s is owned by %s, not %s, and is not empty: it may belong to another program or an earlier installation; move it away, or give it to %s if it is this server's"
	errOtherVersion   = "the data directory %s holds a PostgreSQL %s cluster, not %s"
	errNotEmpty       = "the data directory %s is not empty but holds no cluster (no PG_VERSION): refusing to initialise over what may be data"
	errPWFile         = "cannot write the bootstrap password file"
	errPWFileRemove   = "cannot remove the bootstrap password file %s"
	errWrite          = "cannot write %s"
	errHash           = "cannot parse the checksum of %s: %q"
	errPortInUse      = "port %d is already in use on the machine, by another program or another PostgreSQL server; free it or choose another port: %s"
	errStartFailed    = "PostgreSQL did not start: %s"
	errUnknownSetting = "PostgreSQL %s has no parameter %q"
	errReloadTimeout  = "the server did not reload its configuration within %s"
	errNotHealthy     = "the server is not healthy after %s"
	errRejected       = "the server did not take these settings, and keeps its previous values (its log says why): %s"
	errHBARejected    = "the server did not take pg_hba.conf, and keeps its previous rules: %s"

	reloadTimeout = 15 * time.Second
	healthTimeout = 60 * time.Second
	pgCtlTimeout  = "120"
)

// binaries are the programs the play and Health run.
var binaries = []string{"initdb", "pg_ctl", "postgres", "psql", "pg_isready"}

// missingBinary returns the first of binaries that is not on the machine,
// or "" when all are.
func missingBinary(ctx context.Context, e executor.Executor, o Options) (string, error) {
	var b strings.Builder
	for _, n := range binaries {
		p := q(o.bin(n))
		b.WriteString("[ -x " + p + " ] || { echo " + p + "; exit 0; }\n")
	}
	res, err := run(ctx, e, "looking for the PostgreSQL binaries", b.String())
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(res.Stdout), nil
}

// findBinariesStep checks that the binaries are there, on machines where
// the play does not install them.
func findBinariesStep(o Options) steps.Step {
	return steps.Step{
		Name: fmt.Sprintf(StepFindBinaries, o.Version),
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			missing, err := missingBinary(ctx, e, o)
			return err == nil && missing == "", err
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			missing, err := missingBinary(ctx, e, o)
			if err != nil {
				return err
			}
			return errors.Errorf(errNotInstalled, o.Version, missing, o.Version)
		},
	}
}

// installStep installs postgresql-<version> with apt, first telling
// postgresql-common not to create its own "main" cluster, which would take
// port 5432 and start a server the play does not manage.
func installStep(o Options) steps.Step {
	pkg := steps.Package("postgresql-" + o.Version)
	return steps.Step{
		Name: fmt.Sprintf(StepInstall, o.Version),
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			done, err := pkg.Check(ctx, e)
			if err != nil || !done {
				return false, err
			}
			missing, err := missingBinary(ctx, e, o)
			return err == nil && missing == "", err
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			conf := o.createClusterConf()
			if _, err := run(ctx, e, "mkdir "+path.Dir(conf), executor.ShellCommand("mkdir", "-p", "--", path.Dir(conf))); err != nil {
				return err
			}
			if err := e.WriteFile(ctx, conf, []byte(strings.Replace(header, " and ALTER SYSTEM", "", 1)+"create_main_cluster = false\n"), 0o644); err != nil {
				return errors.Wrapf(err, errWrite, conf)
			}
			if err := pkg.Apply(ctx, e); err != nil {
				return err
			}
			missing, err := missingBinary(ctx, e, o)
			if err == nil && missing != "" {
				err = errors.Errorf(errNotInstalled, o.Version, missing, o.Version)
			}
			return err
		},
	}
}

// dataDirectoryStep makes the data directory (0700), the socket directory
// and the log directory, owned by the OS user. A data directory that holds
// something and belongs to someone else is refused, not taken over.
func dataDirectoryStep(o Options) steps.Step {
	dirs := []struct {
		path string
		mode fs.FileMode
	}{{o.dataDir(), 0o700}, {o.socketDir(), 0o755}, {o.logDir(), 0o755}}
	return steps.Step{
		Name: StepDataDirectory,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			res, err := e.Run(ctx, executor.ShellCommand("id", "-u", "--", o.OSUser), nil)
			if err != nil {
				return false, errors.Wrapf(err, errRun, "id")
			}
			if res.ExitCode != 0 {
				return false, errors.Errorf(errNoUser, o.OSUser, o.Version)
			}
			done := true
			for i, d := range dirs {
				st, err := stat(ctx, e, d.path)
				switch {
				case err != nil:
					return false, err
				case !st.exists:
					done = false
					continue
				case !st.dir:
					return false, errors.Errorf(errNotDir, d.path)
				}
				if i == 0 && st.user != o.OSUser {
					empty, err := emptyDir(ctx, e, d.path)
					if err != nil {
						return false, err
					}
					if !empty {
						return false, errors.Errorf(errOwnedByOther, d.path, st.user, o.OSUser, o.OSUser)
					}
				}
				if st.user != o.OSUser || st.mode != d.mode {
					done = false
				}
			}
			return done, nil
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			var cmds []string
			for _, d := range dirs {
				cmds = append(cmds,
					executor.ShellCommand("mkdir", "-p", "--", d.path),
					executor.ShellCommand("chown", "--", o.OSUser+":", d.path),
					executor.ShellCommand("chmod", "--", fmt.Sprintf("%04o", d.mode), d.path))
			}
			_, err := run(ctx, e, "creating the data directory", strings.Join(cmds, " && "))
			return err
		},
	}
}

// emptyDir reports whether the directory p holds nothing.
func emptyDir(ctx context.Context, e executor.Executor, p string) (bool, error) {
	res, err := run(ctx, e, "ls "+p, executor.ShellCommand("ls", "-A", "--", p))
	return err == nil && strings.TrimSpace(res.Stdout) == "", err
}

// initialiseStep runs initdb unless the data directory holds a cluster.
// The bootstrap password goes to initdb through a 0600 file only the OS
// user can read, removed right after; never a command line.
func initialiseStep(o Options) steps.Step {
	pgVersion := path.Join(o.dataDir(), "PG_VERSION")
	return steps.Step{
		Name: StepInitialise,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			b, err := e.ReadFile(ctx, pgVersion)
			if errors.Is(err, fs.ErrNotExist) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			if v := strings.TrimSpace(string(b)); v != o.Version {
				return false, errors.Errorf(errOtherVersion, o.dataDir(), v, o.Version)
			}
			return true, nil
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			empty, err := emptyDir(ctx, e, o.dataDir())
			if err != nil {
				return err
			}
			if !empty {
				return errors.Errorf(errNotEmpty, o.dataDir())
			}
			pw := o.pwFile()
			// Removed whatever happens, even when ctx ended.
			defer e.Run(context.WithoutCancel(ctx), executor.ShellCommand("rm", "-f", "--", pw), nil) //nolint:errcheck // Best effort; checked below on success.
			if err := e.WriteFile(ctx, pw, []byte(o.SuperuserPassword+"\n"), 0o600); err != nil {
				// The error names the path, never the content.
				return errors.Wrap(err, errPWFile)
			}
			if _, err := run(ctx, e, "chown "+pw, executor.ShellCommand("chown", "--", o.OSUser+":", pw)); err != nil {
				return err
			}
			if _, err := run(ctx, e, "initdb", asUser(o.OSUser, o.bin("initdb"),
				"--pgdata="+o.dataDir(),
				"--username="+o.OSUser,
				"--pwfile="+pw,
				"--auth-local=peer",
				"--auth-host=scram-sha-256",
				"--encoding=UTF8",
				"--locale=C",
				"--data-checksums",
				"--no-instructions",
			)); err != nil {
				return err
			}
			if _, err := run(ctx, e, "rm "+pw, executor.ShellCommand("rm", "-f", "--", pw)); err != nil {
				return errors.Wrapf(err, errPWFileRemove, pw)
			}
			return nil
		},
	}
}

// ownedFileMatches reports whether p is a regular file with content's
// checksum, mode and owner. The checksum is computed on the machine.
func ownedFileMatches(ctx context.Context, e executor.Executor, p string, content []byte, mode fs.FileMode, owner string) (bool, error) {
	st, err := stat(ctx, e, p)
	if err != nil || !st.exists {
		return false, err
	}
	if st.dir || st.mode != mode || (owner != "" && st.user != owner) {
		return false, nil
	}
	res, err := run(ctx, e, "sha256sum "+p, "sha256sum < "+q(p))
	if err != nil {
		return false, err
	}
	got, _, _ := strings.Cut(res.Stdout, " ")
	if len(got) != sha256.Size*2 {
		return false, errors.Errorf(errHash, p, res.Stdout)
	}
	sum := sha256.Sum256(content)
	return got == hex.EncodeToString(sum[:]), nil
}

// writeOwnedFile writes p and hands it to owner (when not empty).
func writeOwnedFile(ctx context.Context, e executor.Executor, p string, content []byte, mode fs.FileMode, owner string) error {
	if err := e.WriteFile(ctx, p, content, mode); err != nil {
		return errors.Wrapf(err, errWrite, p)
	}
	if owner == "" {
		return nil
	}
	_, err := run(ctx, e, "chown "+p, executor.ShellCommand("chown", "--", owner+":", p))
	return err
}

// settingsStep writes postgresql.auto.conf. When the server runs, it
// reloads it, and restarts it when the server says a changed setting takes
// effect only at start (pending_restart): parameters of context postmaster,
// such as max_connections and shared_buffers, size shared memory or bind
// sockets once, when the server starts.
func settingsStep(o Options) steps.Step {
	p := path.Join(o.dataDir(), "postgresql.auto.conf")
	content, _ := renderSettings(o) // validate checked it.
	return steps.Step{
		Name: StepSettings,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			done, err := ownedFileMatches(ctx, e, p, []byte(content), 0o600, o.OSUser)
			if err != nil || !done {
				return false, err
			}
			// The file is right; a running server must have taken it too.
			up, err := running(ctx, e, o)
			if err != nil || !up {
				return err == nil, err
			}
			pending, rejected, err := settingsState(ctx, e, o, socketOf(o))
			switch {
			case err != nil:
				return false, err
			case pending:
				return false, nil // Apply restarts it.
			case rejected != "":
				return false, errors.Errorf(errRejected, rejected)
			}
			return true, nil
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			if err := checkParameterNames(ctx, e, o); err != nil {
				return err
			}
			old, err := e.ReadFile(ctx, p)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			if err := writeOwnedFile(ctx, e, p, []byte(content), 0o600, o.OSUser); err != nil {
				return err
			}
			return reloadIfRunning(ctx, e, o, socketFrom(o, string(old)), true)
		},
	}
}

// checkParameterNames refuses settings the server does not know, which
// would stop it from starting. Names with a dot are extensions' and are
// left to them.
func checkParameterNames(ctx context.Context, e executor.Executor, o Options) error {
	if len(o.Settings) == 0 {
		return nil
	}
	res, err := run(ctx, e, "postgres --describe-config", asUser(o.OSUser, o.bin("postgres"), "--describe-config"))
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, l := range strings.Split(res.Stdout, "\n") {
		name, _, _ := strings.Cut(l, "\t")
		known[name] = true
	}
	for n := range o.Settings {
		if known[n] || strings.Contains(n, ".") {
			continue
		}
		// --describe-config leaves out parameters that are not in the
		// sample file, such as application_name; asking for the value of
		// one tells them from names the server does not know. No
		// configuration is read, so a bad value elsewhere does not count:
		// the binaries' directory holds no postgresql.auto.conf.
		res, err := e.Run(ctx, asUser(o.OSUser, o.bin("postgres"), "-C", n, "-c", "config_file=/dev/null", "-D", path.Dir(o.bin("postgres"))), nil)
		if err != nil {
			return errors.Wrapf(err, errRun, "postgres -C")
		}
		if res.ExitCode != 0 {
			return errors.Errorf(errUnknownSetting, o.Version, n)
		}
	}
	return nil
}

// hbaStep writes pg_hba.conf and reloads a running server.
func hbaStep(o Options) steps.Step {
	p := path.Join(o.dataDir(), "pg_hba.conf")
	content, _ := renderHBA(o) // validate checked it.
	return steps.Step{
		Name: StepHBA,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			done, err := ownedFileMatches(ctx, e, p, []byte(content), 0o600, o.OSUser)
			if err != nil || !done {
				return false, err
			}
			if up, err := running(ctx, e, o); err != nil || !up {
				return err == nil, err
			}
			bad, err := hbaRejected(ctx, e, o)
			if err == nil && bad != "" {
				err = errors.Errorf(errHBARejected, bad)
			}
			return err == nil, err
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			if err := writeOwnedFile(ctx, e, p, []byte(content), 0o600, o.OSUser); err != nil {
				return err
			}
			if err := reloadIfRunning(ctx, e, o, socketOf(o), false); err != nil {
				return err
			}
			if up, err := running(ctx, e, o); err != nil || !up {
				return err
			}
			bad, err := hbaRejected(ctx, e, o)
			if err == nil && bad != "" {
				err = errors.Errorf(errHBARejected, bad)
			}
			return err
		},
	}
}

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

// reloadIfRunning has a running server read its configuration files again
// and waits until it has, so new connections see the new values. When
// restartPending, it then restarts the server if a changed setting takes
// effect only at start.
func reloadIfRunning(ctx context.Context, e executor.Executor, o Options, at socket, restartPending bool) error {
	up, err := running(ctx, e, o)
	if err != nil || !up {
		return err
	}
	before, err := psql(ctx, e, o, at, "SELECT pg_conf_load_time()")
	if err != nil {
		return err
	}
	cmd := asUser(o.OSUser, o.bin("pg_ctl"), "reload", "-s", "--pgdata="+o.dataDir())
	if o.ServiceMode == ServiceSystemd {
		cmd = executor.ShellCommand("systemctl", "reload", "--", o.unitName())
	}
	if _, err := run(ctx, e, "reload", cmd); err != nil {
		return err
	}
	if err := waitReloaded(ctx, e, o, at, before); err != nil {
		return err
	}
	if !restartPending {
		return nil
	}
	pending, rejected, err := settingsState(ctx, e, o, at)
	if err != nil {
		return err
	}
	if pending {
		if err := restart(ctx, e, o); err != nil {
			return err
		}
		if _, rejected, err = settingsState(ctx, e, o, socketOf(o)); err != nil {
			return err
		}
	}
	if rejected != "" {
		return errors.Errorf(errRejected, rejected)
	}
	return nil
}

// settingsState asks a running server whether a setting waits for a
// restart, and which settings in its files it could not take (a bad
// value, say), as "name = value (error)" lines joined by "; ".
func settingsState(ctx context.Context, e executor.Executor, o Options, at socket) (pending bool, rejected string, err error) {
	out, err := psql(ctx, e, o, at, `SELECT (SELECT count(*) FROM pg_settings WHERE pending_restart) || '|' || `+
		`coalesce((SELECT string_agg(name || ' = ' || coalesce(setting, '') || ' (' || error || ')', '; ' ORDER BY name) FROM pg_file_settings WHERE error IS NOT NULL), '')`)
	if err != nil {
		return false, "", err
	}
	n, rejected, _ := strings.Cut(out, "|")
	return n != "0", rejected, nil
}

// hbaRejected returns the pg_hba.conf lines a running server could not
// take, joined by "; ".
func hbaRejected(ctx context.Context, e executor.Executor, o Options) (string, error) {
	return psql(ctx, e, o, socketOf(o), `SELECT coalesce(string_agg('line ' || line_number || ': ' || error, '; ' ORDER BY line_number), '') FROM pg_hba_file_rules WHERE error IS NOT NULL`)
}

// waitReloaded waits until the postmaster's configuration load time is no
// longer before. Reloading only signals the postmaster; a connection made
// before it handled the signal would still see the old values.
func waitReloaded(ctx context.Context, e executor.Executor, o Options, at socket, before string) error {
	deadline := time.Now().Add(reloadTimeout)
	for {
		now, err := psql(ctx, e, o, at, "SELECT pg_conf_load_time()")
		if err == nil && now != before {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return err
			}
			return errors.Errorf(errReloadTimeout, reloadTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
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

// healthStep passes when Health does; otherwise it waits for the server,
// which may be finishing recovery, for up to a minute.
func healthStep(o Options) steps.Step {
	return steps.Step{
		Name: StepHealth,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			return Health(ctx, e, o) == nil, nil
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			deadline := time.Now().Add(healthTimeout)
			for {
				err := Health(ctx, e, o)
				if err == nil {
					return nil
				}
				if time.Now().After(deadline) {
					return errors.Wrapf(err, errNotHealthy, healthTimeout)
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(500 * time.Millisecond):
				}
			}
		},
	}
}
