// Package postgresql installs, configures and runs PostgreSQL on a local
// machine as real processes on the provider's host.
package postgresql

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/local"
)

const (
	errNotInstalled = "PostgreSQL %s is not installed on this machine: install the package postgresql-%s"
	errMkdir        = "cannot create instance directory"
	errWipe         = "cannot wipe a half-initialized data directory"
	errPWFile       = "cannot write the password file"
	errInclude      = "cannot include the provider's configuration file"
	errMarker       = "cannot record that the data directory is initialized"
	errRender       = "cannot render configuration"
	errReadConf     = "cannot read configuration"
	errWriteConf    = "cannot write configuration"
	errStop         = "cannot stop PostgreSQL"
	errRemove       = "cannot remove the instance directory"
	errStalePID     = "cannot remove a stale pid file"
	errBusyDataDir  = "processes %v still run in %s without a server that owns its postmaster.pid (a server starting, an initdb, or the backends of a server that died): not starting or initializing another"

	// DefaultBinRoot holds one bin directory per major version, as Debian
	// packages install them.
	DefaultBinRoot = "/usr/lib/postgresql"

	confFile     = "dbaas.conf"
	markerFile   = "initialized"
	logFile      = "postgresql.log"
	pwFile       = "pwfile"
	stopTimeout  = 60 * time.Second
	startTimeout = "60"

	// busyTimeout bounds how long a start or an initdb waits for processes
	// left in the data directory to finish: a server another start is
	// bringing up, an initdb, or backends that outlived a killed
	// postmaster.
	busyTimeout = 30 * time.Second
)

// An Instance is one PostgreSQL server in its own directory on a machine.
type Instance struct {
	// Version is the major version, for example "15".
	Version string
	// Dir holds data/, the socket directory and the log. It must be an
	// absolute path.
	Dir string
	// Port the server listens on, on 127.0.0.1.
	Port int32
	// AdminUser is the bootstrap superuser.
	AdminUser string
	// BinRoot holds <major>/bin; empty means DefaultBinRoot.
	BinRoot string
	// ShareRoot holds <major>/extension; empty means DefaultShareRoot.
	ShareRoot string
	// TLS is what the server serves TLS with. With it, pg_hba.conf is the
	// provider's (TCP only with TLS, the admin account only from the
	// provider's address) and the provider verifies the server; without
	// it the server keeps initdb's rules and speaks plain text, which only
	// the engine's own tests ask for.
	TLS *TLS
}

// NewInstance returns the instance called name on the machine whose
// directory is workDir.
func NewInstance(workDir, name, version string, port int32, adminUser string) *Instance {
	return &Instance{Version: version, Dir: filepath.Join(workDir, "postgresql", name), Port: port, AdminUser: adminUser}
}

// DataDir is the instance's data directory.
func (i *Instance) DataDir() string { return filepath.Join(i.Dir, "data") }

// maxSocketPath is the longest unix socket path PostgreSQL accepts
// (sizeof(sun_path) - 1 on Linux).
const maxSocketPath = 107

// SocketDir is the instance's unix socket directory, or "" when its socket
// path would be longer than PostgreSQL accepts. Machines can live deep in
// the file system (a test's temporary directory, say), and a socket path that
// is too long stops the server from starting at all; the provider itself
// connects over TCP, so then the server simply listens on TCP only.
func (i *Instance) SocketDir() string {
	dir := filepath.Join(i.Dir, "run")
	if len(filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(int(i.Port)))) > maxSocketPath {
		return ""
	}
	return dir
}

// LogFile is the server's log.
func (i *Instance) LogFile() string { return filepath.Join(i.Dir, logFile) }

func (i *Instance) major() string {
	major, _, _ := strings.Cut(i.Version, ".")
	return major
}

// bin returns the path of a PostgreSQL program of the instance's version.
func (i *Instance) bin(name string) (string, error) {
	root := i.BinRoot
	if root == "" {
		root = DefaultBinRoot
	}
	p := filepath.Join(root, i.major(), "bin", name)
	if _, err := os.Stat(p); err != nil {
		return "", errors.Errorf(errNotInstalled, i.major(), i.major())
	}
	return p, nil
}

// Initialized reports whether initdb completed for the instance.
func (i *Instance) Initialized() bool {
	_, err := os.Stat(filepath.Join(i.Dir, markerFile))
	return err == nil
}

// Init runs initdb unless it completed before. A data directory that initdb
// left half-done (no marker) is wiped and initialized again. The password
// reaches initdb through a file readable only by the engine user that is
// removed right after, never through a command line.
func (i *Instance) Init(ctx context.Context, password string) error {
	if i.Initialized() {
		return nil
	}
	initdb, err := i.bin("initdb")
	if err != nil {
		return err
	}
	if err := i.prepare(ctx); err != nil {
		return err
	}

	pw := filepath.Join(i.Dir, pwFile)
	if err := os.WriteFile(pw, []byte(password+"\n"), 0o600); err != nil {
		return errors.Wrap(err, errPWFile)
	}
	defer os.Remove(pw)
	if err := chown(pw); err != nil {
		return err
	}
	if err := run(ctx, i.Dir, initdb,
		"-D", i.DataDir(),
		"-U", i.AdminUser,
		"--pwfile="+pw,
		"--auth-host=scram-sha-256",
		"--auth-local=peer",
		"-E", "UTF8",
		"--locale=C",
	); err != nil {
		return err
	}
	_ = os.Remove(pw)

	if err := i.include(); err != nil {
		return err
	}
	return errors.Wrap(os.WriteFile(filepath.Join(i.Dir, markerFile), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644), errMarker)
}

// prepare stops a server that somehow runs on a half-done data directory,
// wipes the directory and creates the instance's directories for the engine
// user.
func (i *Instance) prepare(ctx context.Context) error {
	// Should a server somehow run on the half-done directory, stop it first.
	if err := i.stopPID(ctx); err != nil {
		return err
	}
	// An initdb of a provider that was killed may still write there: two
	// initdbs on one directory, or one wiped under the other, leave neither
	// a sound data directory.
	if _, err := i.waitIdle(ctx, false); err != nil {
		return err
	}
	if err := os.RemoveAll(i.DataDir()); err != nil {
		return errors.Wrap(err, errWipe)
	}
	// The engine user must traverse the engines' directory of the machine
	// and own the instance's directories.
	for _, d := range []struct {
		path  string
		mode  os.FileMode
		owned bool
	}{{filepath.Dir(i.Dir), 0o755, false}, {i.Dir, 0o755, true}, {i.DataDir(), 0o700, true}, {i.SocketDir(), 0o755, true}} {
		if d.path == "" {
			continue
		}
		if err := os.MkdirAll(d.path, d.mode); err != nil {
			return errors.Wrap(err, errMkdir)
		}
		if err := os.Chmod(d.path, d.mode); err != nil {
			return errors.Wrap(err, errMkdir)
		}
		if !d.owned {
			continue
		}
		if err := chown(d.path); err != nil {
			return err
		}
	}
	// A replica's copy verifies the primary with the CA before its data
	// directory holds anything.
	_, err := i.writeTLS()
	return err
}

// include makes postgresql.conf read the provider's file last, so that the
// provider's settings win over initdb's.
func (i *Instance) include() error {
	conf := filepath.Join(i.DataDir(), confFile)
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		return errors.Wrap(err, errInclude)
	}
	if err := chown(conf); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(i.DataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return errors.Wrap(err, errInclude)
	}
	if _, err := f.WriteString("\ninclude '" + confFile + "'\n"); err != nil {
		_ = f.Close()
		return errors.Wrap(err, errInclude)
	}
	return errors.Wrap(f.Close(), errInclude)
}

// Settings returns the provider's settings for the instance from the
// engine-neutral ones.
func (i *Instance) Settings(maxConnections, sharedBuffersMB *int32, parameters map[string]string) Settings {
	s := Settings{Version: i.Version, Port: i.Port, SocketDir: i.SocketDir(), MaxConnections: maxConnections, SharedBuffersMB: sharedBuffersMB, Parameters: parameters}
	if i.TLS != nil {
		s.TLSDir = i.TLSDir()
	}
	return s
}

// ConfigCurrent reports whether the provider's file already holds s.
func (i *Instance) ConfigCurrent(s Settings) (bool, error) {
	want, err := Render(s)
	if err != nil {
		return false, errors.Wrap(err, errRender)
	}
	have, err := os.ReadFile(filepath.Join(i.DataDir(), confFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, errors.Wrap(err, errReadConf)
	}
	return string(have) == want && i.tlsCurrent() && i.hbaCurrent(), nil
}

// Configure writes s into the provider's file, and the certificate files
// and pg_hba.conf of an instance that serves TLS. It returns the names of
// the settings that changed; a new certificate or pg_hba.conf counts as a
// change of ssl_cert_file or hba_file, which a reload takes up.
func (i *Instance) Configure(s Settings) ([]string, error) {
	want, err := Render(s)
	if err != nil {
		return nil, errors.Wrap(err, errRender)
	}
	var files []string
	if changed, err := i.writeTLS(); err != nil {
		return nil, err
	} else if changed {
		files = append(files, "ssl_cert_file")
	}
	if changed, err := i.writeHBA(); err != nil {
		return nil, err
	} else if changed {
		files = append(files, "hba_file")
	}
	names, err := i.configure(want)
	return append(names, files...), err
}

// configure writes the provider's configuration file unless it holds want,
// and returns the names of the settings that changed.
func (i *Instance) configure(want string) ([]string, error) {
	path := filepath.Join(i.DataDir(), confFile)
	have, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, errors.Wrap(err, errReadConf)
	}
	if string(have) == want {
		return nil, nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(want), 0o600); err != nil {
		return nil, errors.Wrap(err, errWriteConf)
	}
	if err := chown(tmp); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, errors.Wrap(err, errWriteConf)
	}
	return changed(string(have), want), nil
}

// PID returns the postmaster's PID when it runs for this data directory,
// else 0.
func (i *Instance) PID() int {
	pid, err := local.ReadPID(filepath.Join(i.DataDir(), local.PIDFileName))
	if err != nil || !local.Alive(pid) || !local.BelongsTo(pid, i.DataDir()) {
		return 0
	}
	return pid
}

// Running reports whether a postmaster runs for this data directory.
func (i *Instance) Running() bool { return i.PID() != 0 }

// Start starts the server unless it runs; it refuses a fenced member. pg_ctl daemonises the server, so
// it outlives the provider.
func (i *Instance) Start(ctx context.Context) error {
	if i.Running() {
		return nil
	}
	// A fenced member was a primary when another one was promoted: started
	// as it is, it could take writes the new primary never sees.
	if epoch, fenced, err := i.Fenced(); err != nil {
		return err
	} else if fenced {
		return errors.Errorf(errFenced, epoch)
	}
	pgctl, err := i.bin("pg_ctl")
	if err != nil {
		return err
	}
	if err := i.clearStalePID(ctx); err != nil {
		return err
	}
	if i.Running() {
		// Another start brought it up while we waited.
		return nil
	}
	from := i.logSize()
	return i.startError(run(ctx, i.Dir, pgctl, "start", "-w", "-t", startTimeout, "-s", "-D", i.DataDir(), "-l", i.LogFile()), from)
}

// clearStalePID removes the pid file of a server that does not run: its
// process is gone (or is someone else, or a zombie nobody reaped after a
// crash) and would make a new postmaster, or pg_rewind's crash recovery,
// hesitate. It is ours to clear only while no process at all runs in the
// data directory. A postmaster that is starting creates its pid file empty
// and fills it a moment later, and backends of a killed postmaster run on
// for a while: removing the file then would let a second postmaster start
// on the same data directory beside them, since the file is PostgreSQL's
// only guard against that. So it first waits, for a bounded time, for
// such processes to finish, and returns early when a server that owns the
// file comes up.
func (i *Instance) clearStalePID(ctx context.Context) error {
	if running, err := i.waitIdle(ctx, true); err != nil || running {
		return err
	}
	// The socket's lock file names the same process.
	for _, f := range []string{filepath.Join(i.DataDir(), local.PIDFileName), filepath.Join(i.SocketDir(), ".s.PGSQL."+strconv.Itoa(int(i.Port))+".lock")} {
		if !filepath.IsAbs(f) {
			continue
		}
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return errors.Wrap(err, errStalePID)
		}
	}
	return nil
}

// waitIdle waits, for a bounded time, until no process runs in the data
// directory (see local.ProcessesIn) or, when orRunning, until a server
// that owns postmaster.pid runs there; it reports whether one does. Such
// processes may be left by a provider that was killed: its initdb or
// pg_ctl start run on without it.
func (i *Instance) waitIdle(ctx context.Context, orRunning bool) (bool, error) {
	deadline := time.Now().Add(busyTimeout)
	for {
		if orRunning && i.Running() {
			return true, nil
		}
		busy := local.ProcessesIn(i.DataDir())
		if len(busy) == 0 {
			return false, nil
		}
		if time.Now().After(deadline) {
			return false, errors.Errorf(errBusyDataDir, busy, i.DataDir())
		}
		select {
		case <-ctx.Done():
			return false, errors.Errorf(errBusyDataDir, busy, i.DataDir())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Restart restarts a running server, for settings that need it.
func (i *Instance) Restart(ctx context.Context) error {
	if err := i.Stop(ctx); err != nil {
		return err
	}
	return i.Start(ctx)
}

// Stop stops the server with a fast shutdown, falling back to signalling
// its PID. It returns once the postmaster's process has gone: pg_ctl stop
// returns when the pid file has gone, which the postmaster removes just
// before it exits.
func (i *Instance) Stop(ctx context.Context) error {
	pid := i.PID()
	if pid == 0 {
		return nil
	}
	if pgctl, err := i.bin("pg_ctl"); err == nil {
		if err := run(ctx, i.Dir, pgctl, "stop", "-m", "fast", "-w", "-t", startTimeout, "-s", "-D", i.DataDir()); err == nil && !i.Running() {
			return errors.Wrap(local.StopPID(ctx, pid, i.DataDir(), stopTimeout), errStop)
		}
	}
	return i.stopPID(ctx)
}

func (i *Instance) stopPID(ctx context.Context) error {
	pid, err := local.ReadPID(filepath.Join(i.DataDir(), local.PIDFileName))
	if err != nil {
		return errors.Wrap(err, errStop)
	}
	return errors.Wrap(local.StopPID(ctx, pid, i.DataDir(), stopTimeout), errStop)
}

// Remove stops the server and removes the instance's directory.
func (i *Instance) Remove(ctx context.Context) error {
	if err := i.Stop(ctx); err != nil {
		return err
	}
	return errors.Wrap(os.RemoveAll(i.Dir), errRemove)
}
