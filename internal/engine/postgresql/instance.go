// Package postgresql configures and runs PostgreSQL members as real
// processes on a machine: this host or another one reached over SSH, through
// an executor.
package postgresql

import (
	"context"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errNotInstalled     = "PostgreSQL %s is not installed on this machine: install the package postgresql-%s"
	errMkdir            = "cannot create instance directory"
	errWipe             = "cannot wipe a half-initialized data directory"
	errPWFile           = "cannot write the password file"
	errInstalled        = "cannot tell whether PostgreSQL %s is installed"
	errInitialized      = "cannot tell whether the data directory is initialized"
	errInclude          = "cannot include the provider's configuration file"
	errMarker           = "cannot record that the data directory is initialized"
	errWakeCheckpointer = "cannot signal the started server to read its configuration again"
	errRender           = "cannot render configuration"
	errReadConf         = "cannot read configuration"
	errWriteConf        = "cannot write configuration"
	errStop             = "cannot stop PostgreSQL"
	errRemove           = "cannot remove the instance directory"
	errStalePID         = "cannot remove a stale pid file"
	errBusyDataDir      = "processes %v still run in %s without a server that owns its postmaster.pid (a server starting, an initdb, or the backends of a server that died): not starting or initializing another"

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
	// Exec runs the instance's programs and reaches its files on its
	// machine. It must be set: an instance without one is a programming
	// error, not one on this host.
	Exec executor.Executor
	// Host is the address the server listens on, and that the provider and
	// the other members reach it at: Address for a member on this host,
	// the machine's address for one over SSH. Empty means Address.
	Host string
	// Listen, when set, is what the server binds instead of Host: "*" on a
	// VM, whose address the provider reaches (a cloud's public IP) may be
	// translated on the way and so not be on any of the VM's interfaces.
	Listen string
	// Peers are the addresses or CIDRs, beside loopback, of the other
	// members and of the provider, which may come in over TCP as the
	// admin user (the provider, pg_rewind of a rejoining member) and the
	// replication user, with their passwords.
	Peers []string
	// Apps are the addresses or CIDRs applications come in from over TCP,
	// with TLS and their password. Empty means the loopback network, where
	// a local machine's servers listen; a member on a VM that applications
	// reach over the network lists every address (0.0.0.0/0 and ::/0).
	Apps []string
	// Version is the major version, for example "15".
	Version string
	// Dir holds data/, the socket directory and the log. It must be an
	// absolute path.
	Dir string
	// Port the server listens on, on Host.
	Port int32
	// AdminUser is the bootstrap superuser.
	AdminUser string
	// BinRoot holds <major>/bin; empty means DefaultBinRoot.
	BinRoot string
	// ShareRoot holds <major>/extension; empty means DefaultShareRoot.
	ShareRoot string
	// TLS is what the server serves TLS with. With it, pg_hba.conf and
	// pg_ident.conf are the provider's (TCP only with TLS, the admin
	// account over the socket as the provider's OS user, and over TCP only
	// from the provider's address) and the provider verifies the server;
	// without it the server keeps initdb's rules and speaks plain text,
	// which only the engine's own tests ask for.
	TLS *TLS
	// Archiving, when set, has the server archive its WAL (see
	// Settings.Archiving): Settings carries it, as it carries TLS, so
	// every place that writes the instance's settings archives alike.
	Archiving *Archiving
}

// NewInstance returns the instance called name on the machine that exec
// reaches, whose directory is workDir. It listens on Address; a member on
// another machine sets Host.
func NewInstance(exec executor.Executor, workDir, name, version string, port int32, adminUser string) *Instance {
	return &Instance{Exec: exec, Host: Address, Version: version, Dir: filepath.Join(workDir, "postgresql", name), Port: port, AdminUser: adminUser}
}

// host is where the server listens and is reached.
func (i *Instance) host() string {
	if i.Host == "" {
		return Address
	}
	return i.Host
}

// DataDir is the instance's data directory.
func (i *Instance) DataDir() string { return filepath.Join(i.Dir, "data") }

// LogFile is the server's log.
func (i *Instance) LogFile() string { return filepath.Join(i.Dir, logFile) }

func (i *Instance) major() string {
	major, _, _ := strings.Cut(i.Version, ".")
	return major
}

// bin returns the path of a PostgreSQL program of the instance's version
// on its machine.
func (i *Instance) bin(ctx context.Context, name string) (string, error) {
	root := i.BinRoot
	if root == "" {
		root = DefaultBinRoot
	}
	p := filepath.Join(root, i.major(), "bin", name)
	x, err := i.exec()
	if err != nil {
		return "", err
	}
	res, err := x.Run(ctx, "test -x "+executor.ShellQuote(p), nil)
	if err != nil {
		return "", errors.Wrapf(err, errInstalled, i.major())
	}
	if res.ExitCode != 0 {
		return "", errors.Errorf(errNotInstalled, i.major(), i.major())
	}
	return p, nil
}

// Initialized reports whether initdb (or a replica's copy) completed for
// the instance.
func (i *Instance) Initialized(ctx context.Context) (bool, error) {
	ok, err := i.fileExists(ctx, filepath.Join(i.Dir, markerFile))
	return ok, errors.Wrap(err, errInitialized)
}

// Init runs initdb unless it completed before. A data directory that initdb
// left half-done (no marker) is wiped and initialized again. The password
// reaches initdb through a file readable only by the engine user that is
// removed right after, never through a command line.
func (i *Instance) Init(ctx context.Context, password string) error {
	if done, err := i.Initialized(ctx); err != nil || done {
		return err
	}
	initdb, err := i.bin(ctx, "initdb")
	if err != nil {
		return err
	}
	if err := i.prepare(ctx); err != nil {
		return err
	}

	pw := filepath.Join(i.Dir, pwFile)
	if err := i.writeFile(ctx, pw, []byte(password+"\n"), 0o600); err != nil {
		return errors.Wrap(err, errPWFile)
	}
	defer i.remove(context.WithoutCancel(ctx), errPWFile, pw) //nolint:errcheck // Best effort; removed below on success.
	if err := i.run(ctx, initdb,
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
	if err := i.remove(ctx, errPWFile, pw); err != nil {
		return err
	}

	if err := i.include(ctx); err != nil {
		return err
	}
	return i.mark(ctx)
}

// mark records that the data directory is complete.
func (i *Instance) mark(ctx context.Context) error {
	return errors.Wrap(i.writeRootFile(ctx, filepath.Join(i.Dir, markerFile), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644), errMarker)
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
	if err := i.removeAll(ctx, errWipe, i.DataDir()); err != nil {
		return err
	}
	// The engine user must traverse the engines' directory of the machine
	// and own the instance's directories.
	for _, d := range []struct {
		path  string
		mode  fs.FileMode
		owned bool
	}{{filepath.Dir(i.Dir), 0o755, false}, {i.Dir, 0o755, true}, {i.DataDir(), 0o700, true}, {i.ownSocketDir(), 0o755, true}} {
		if err := i.mkdir(ctx, errMkdir, d.path, d.mode, d.owned); err != nil {
			return err
		}
	}
	// A replica's copy verifies the primary with the CA before its data
	// directory holds anything.
	_, err := i.writeTLS(ctx)
	return err
}

// include makes postgresql.conf read the provider's file last, so that the
// provider's settings win over initdb's.
func (i *Instance) include(ctx context.Context) error {
	if err := i.writeFile(ctx, filepath.Join(i.DataDir(), confFile), nil, 0o600); err != nil {
		return errors.Wrap(err, errInclude)
	}
	return errors.Wrap(i.appendFile(ctx, filepath.Join(i.DataDir(), "postgresql.conf"), "\ninclude '"+confFile+"'\n"), errInclude)
}

// Settings returns the provider's settings for the instance from the
// engine-neutral ones.
func (i *Instance) Settings(maxConnections, sharedBuffersMB *int32, parameters map[string]string) Settings {
	s := Settings{Version: i.Version, Host: i.Host, Listen: i.Listen, Port: i.Port, SocketDir: i.SocketDir(), MaxConnections: maxConnections, SharedBuffersMB: sharedBuffersMB, Parameters: parameters}
	if i.TLS != nil {
		s.TLSDir = i.TLSDir()
	}
	s.Archiving = i.Archiving
	return s
}

// ConfigCurrent reports whether the provider's file already holds s, and
// the certificate files and pg_hba.conf are the instance's: one command,
// which compares checksums.
func (i *Instance) ConfigCurrent(ctx context.Context, s Settings) (bool, error) {
	sums, _, err := i.configState(ctx)
	if err != nil {
		return false, errors.Wrap(err, errReadConf)
	}
	return i.Current(sums, s)
}

// Configure writes s into the provider's file, and the certificate files
// and pg_hba.conf of an instance that serves TLS. It returns the names of
// the settings that changed; a new certificate counts as a change of
// ssl_cert_file, and new pg_hba.conf or pg_ident.conf as none: a reload
// takes them up. It takes
// one command to compare and, when a file changes, one to write them all:
// a failover configures the new primary before its first commit.
func (i *Instance) Configure(ctx context.Context, s Settings) ([]string, error) {
	want, err := Render(s)
	if err != nil {
		return nil, errors.Wrap(err, errRender)
	}
	files, err := i.configFiles(want)
	if err != nil {
		return nil, err
	}
	sums, have, err := i.configState(ctx)
	if err != nil {
		return nil, errors.Wrap(err, errReadConf)
	}
	write := stale(files, sums)
	if len(write) == 0 {
		return nil, nil
	}
	if err := i.writeFiles(ctx, write); err != nil {
		return nil, errors.Wrap(err, errWriteConf)
	}
	return changedSettings(write, have, want), nil
}

// PID returns the postmaster's PID when it runs for this data directory,
// else 0. It reads files only: the pid file and the process's command line.
func (i *Instance) PID(ctx context.Context) (int, error) {
	pid, err := i.readPID(ctx, i.pidFile())
	if err != nil || pid == 0 {
		return 0, err
	}
	if ok, err := i.belongsTo(ctx, pid, i.DataDir()); err != nil || !ok {
		return 0, err
	}
	return pid, nil
}

// Running reports whether a postmaster runs for this data directory.
func (i *Instance) Running(ctx context.Context) (bool, error) {
	pid, err := i.PID(ctx)
	return pid != 0, err
}

// Start starts the server unless it runs; it refuses a fenced member. pg_ctl daemonises the server, so
// it outlives the provider.
func (i *Instance) Start(ctx context.Context) error {
	if running, err := i.Running(ctx); err != nil || running {
		return err
	}
	// A fenced member was a primary when another one was promoted: started
	// as it is, it could take writes the new primary never sees.
	if epoch, fenced, err := i.Fenced(ctx); err != nil {
		return err
	} else if fenced {
		return errors.Errorf(errFenced, epoch)
	}
	pgctl, err := i.bin(ctx, "pg_ctl")
	if err != nil {
		return err
	}
	if err := i.clearStalePID(ctx); err != nil {
		return err
	}
	if running, err := i.Running(ctx); err != nil || running {
		// Another start brought it up while we waited.
		return err
	}
	if err := i.linkSocketDir(ctx); err != nil {
		return err
	}
	from := i.logSize(ctx)
	if err := i.startError(ctx, i.run(ctx, pgctl, "start", "-w", "-t", startTimeout, "-s", "-D", i.DataDir(), "-l", i.LogFile()), from); err != nil {
		return err
	}
	// PostgreSQL 15's checkpointer works out how long to sleep while the
	// server is still in recovery (on every start, and after a crash at the
	// end-of-recovery checkpoint), when it leaves archive_timeout out: it
	// then sleeps checkpoint_timeout before it forces a WAL switch, so a
	// primary with few writes archived nothing for minutes after each
	// start (make bench-backup's BenchmarkRPO lost 26-128 s after a crash
	// with archive_timeout 10 s). A reload wakes it, and it counts
	// archive_timeout from then on.
	return errors.Wrap(i.run(ctx, pgctl, "reload", "-s", "-D", i.DataDir()), errWakeCheckpointer)
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
	lock := filepath.Join(i.ownSocketDir(), ".s.PGSQL."+strconv.Itoa(int(i.Port))+".lock")
	return i.remove(ctx, errStalePID, i.pidFile(), lock)
}

// waitIdle waits, for a bounded time, until no process runs in the data
// directory (see processesIn) or, when orRunning, until a server
// that owns postmaster.pid runs there; it reports whether one does. Such
// processes may be left by a provider that was killed: its initdb or
// pg_ctl start run on without it.
func (i *Instance) waitIdle(ctx context.Context, orRunning bool) (bool, error) {
	deadline := time.Now().Add(busyTimeout)
	for {
		running, busy, err := i.idle(ctx, orRunning)
		if err != nil || running {
			return running, err
		}
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

// idle looks once whether, when orRunning, a server that owns
// postmaster.pid runs, and else which processes run in the data directory.
// ctx bounds the wait in waitIdle, not one look: a look cut short would
// leave the caller without the processes that keep the directory busy, so
// a look that began finishes, within busyTimeout.
func (i *Instance) idle(ctx context.Context, orRunning bool) (bool, []int, error) {
	look, cancel := context.WithTimeout(context.WithoutCancel(ctx), busyTimeout)
	defer cancel()
	if orRunning {
		if running, err := i.Running(look); err != nil || running {
			return running, nil, err
		}
	}
	busy, err := i.processesIn(look, i.DataDir())
	return false, busy, err
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
	pid, err := i.PID(ctx)
	if err != nil || pid == 0 {
		return errors.Wrap(err, errStop)
	}
	if pgctl, err := i.bin(ctx, "pg_ctl"); err == nil {
		if err := i.run(ctx, pgctl, "stop", "-m", "fast", "-w", "-t", startTimeout, "-s", "-D", i.DataDir()); err == nil {
			if running, err := i.Running(ctx); err == nil && !running {
				return errors.Wrap(i.stopProcess(ctx, pid, i.DataDir(), stopTimeout), errStop)
			}
		}
	}
	return i.stopPID(ctx)
}

func (i *Instance) stopPID(ctx context.Context) error {
	pid, err := i.readPID(ctx, i.pidFile())
	if err != nil {
		return errors.Wrap(err, errStop)
	}
	return errors.Wrap(i.stopProcess(ctx, pid, i.DataDir(), stopTimeout), errStop)
}

// Remove stops the server and removes the instance's directory, and its
// entry in SocketRoot.
func (i *Instance) Remove(ctx context.Context) error {
	if err := i.Stop(ctx); err != nil {
		return err
	}
	if err := i.unlinkSocketDir(ctx); err != nil {
		return err
	}
	return i.removeAll(ctx, errRemove, i.Dir)
}
