package databaseinstance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/resource"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
	"github.com/dbaas-io/dbaas/internal/engine/watchdog"
	"github.com/dbaas-io/dbaas/internal/engine/watchdog/install"
)

const (
	errWatchdogBinary  = "cannot read the watchdog binary %s"
	errInstallWatchdog = "cannot install the self-fencing watchdog on %s"
	errStopWatchdog    = "cannot stop the self-fencing watchdog on %s"
	errWatchdogCheck   = "cannot check the self-fencing watchdog on %s"

	// defaultFenceAfter is spec.forProvider.failover.fenceAfter's default.
	defaultFenceAfter = 10 * time.Second

	// watchdogDir is the directory below a member's directory that holds
	// its watchdog's configuration, heartbeat, PID and log.
	watchdogDir = "watchdog"
	// watchdogBinaryDir holds the watchdog's binary on a member's machine,
	// below the machine's root (the machine's directory on the local
	// backend, / on a VM).
	watchdogBinaryDir = "/usr/local/lib/dbaas"
)

// A memberWatchdog is how the self-fencing watchdog runs beside one member:
// where its binary goes on the member's machine and whether systemd runs
// it there.
type memberWatchdog struct {
	// binary is the watchdog's path on the member's machine.
	binary string
	// systemd is true on a machine whose watchdog systemd runs; on the
	// local backend (and the test hosts, which have no systemd) it runs
	// detached (install.StartStep).
	systemd bool
}

// fenceAfter is spec.forProvider.failover.fenceAfter, or its default.
func fenceAfter(p v1alpha1.DatabaseInstanceParameters) time.Duration {
	if p.Failover == nil || p.Failover.FenceAfter == nil {
		return defaultFenceAfter
	}
	return max(p.Failover.FenceAfter.Duration, minFailoverAfter)
}

// watchdogRecorded reports whether the last look saw the watchdog running
// beside the member on vm.
func watchdogRecorded(cr *v1alpha1.DatabaseInstance, vm string) bool {
	for _, m := range cr.Status.AtProvider.Members {
		if m.VirtualMachine == vm {
			return m.Watchdog
		}
	}
	return false
}

// watchdogSeen is what the status records about the member's watchdog: as
// this look saw it, or, for a member the provider cannot reach, as the
// last look saw it, so that a primary cut off keeps the record that it
// fences itself.
func watchdogSeen(cr *v1alpha1.DatabaseInstance, m member, s memberState) bool {
	if m.cut {
		return watchdogRecorded(cr, m.vm)
	}
	return s.Watchdog
}

// watchdogUp reports whether the member's watchdog runs, or needs not: the
// member has none, or holds no data yet (the watchdog comes with it).
func watchdogUp(m member, s memberState) bool {
	return m.wd == nil || m.off != "" || !s.Initialized || s.Watchdog
}

// statusInterval is wal_receiver_status_interval, which a replica beside
// a watchdog runs with unless the spec sets it.
const statusInterval = "wal_receiver_status_interval"

// withStatusInterval has a replica reply to its primary at least four times
// per fenceAfter, even when idle: the primary's watchdog counts a replica
// as streaming only by its replies (PostgreSQL's default, every 10s, would
// have an idle primary whose provider is away fence itself). A value the
// spec sets is kept.
func withStatusInterval(params map[string]string, after time.Duration) map[string]string {
	if _, ok := params[statusInterval]; ok {
		return params
	}
	out := make(map[string]string, len(params)+1)
	maps.Copy(out, params)
	out[statusInterval] = strconv.Itoa(max(1, int(after/time.Second)/4)) + "s"
	return out
}

// pollHeartbeat looks at a replicated instance at least twice per
// fenceAfter, whatever the poll interval, so that each look's heartbeat
// reaches the primary's watchdog before it would fence the primary for
// want of one; then the failover cadence of pollWhileDown applies.
func pollHeartbeat(mg resource.Managed, d time.Duration) time.Duration {
	d = pollWhileDown(mg, d)
	cr, ok := mg.(*v1alpha1.DatabaseInstance)
	if !ok || cr.Spec.ForProvider.Topology != v1alpha1.TopologyPrimary {
		return d
	}
	return min(d, max(fenceAfter(cr.Spec.ForProvider)/2, downRecheck))
}

// watchdogPaths are a member's watchdog files, in its directory. password
// is where providers before the watchdog logged in over the socket wrote
// the admin's password for it: only removed now.
type watchdogPaths struct{ dir, config, password, heartbeat, pid, log string }

func pathsOf(i *postgresql.Instance) watchdogPaths {
	d := path.Join(i.Dir, watchdogDir)
	return watchdogPaths{
		dir: d, config: path.Join(d, "config.json"), password: path.Join(d, "password"),
		heartbeat: path.Join(d, "heartbeat"), pid: path.Join(d, "watchdog.pid"), log: path.Join(d, "watchdog.log"),
	}
}

// process is how the member's watchdog runs.
func (w *memberWatchdog) process(i *postgresql.Instance, after time.Duration) watchdog.Process {
	p := pathsOf(i)
	return watchdog.Process{
		Binary: w.binary, ConfigFile: p.config, OSUser: playSuperuser, FenceAfter: after,
		PIDFile: p.pid, LogFile: p.log,
	}
}

// watchdogConfig is the member's watchdog configuration. The watchdog runs
// as the engine's OS user, the server's own, so it needs no OS user of its
// own for pg_ctl, and it logs in as the provider's socket sessions do: over
// the member's unix socket as the admin role, by peer, which pg_ident.conf
// maps the engine's OS user to (see postgresql's renderIdent). No password
// is written for it, and pg_hba.conf refuses the admin role over TCP from
// anywhere. That OS user owns the data directory and may stop the server
// anyway, so the superuser adds nothing it could not already do; a
// least-privilege role could not end a superuser's sessions
// (pg_signal_backend cannot), nor get in once the connections are used up.
func watchdogConfig(i *postgresql.Instance, epoch int64) watchdog.Config {
	p := pathsOf(i)
	return watchdog.Config{
		Host: i.SocketDir(), Port: int(i.Port), User: i.AdminUser,
		DataDir: i.DataDir(), PGCtl: path.Join(postgresql.DefaultBinRoot, majorVersion(i.Version), "bin", "pg_ctl"),
		HeartbeatFile: p.heartbeat, FenceFile: i.FenceFile(), Epoch: epoch,
	}
}

// watchdogSteps are the steps that install and run the member's watchdog:
// its binary (copied when its checksum differs), its directory and
// configuration, owned by the engine's OS user, then the watchdog itself.
func watchdogSteps(w *memberWatchdog, i *postgresql.Instance, bin *binary, epoch int64, after time.Duration) ([]steps.Step, error) {
	p := pathsOf(i)
	conf, err := watchdogConfig(i, epoch).Marshal()
	if err != nil {
		return nil, err
	}
	s := []steps.Step{
		steps.Directory(path.Dir(w.binary), "", 0o755),
		binaryStep(w.binary, bin),
		steps.Directory(p.dir, playSuperuser, 0o700),
		withoutPasswordFile(ownedFile(p.config, conf, playSuperuser), p.password),
	}
	proc := w.process(i, after)
	if w.systemd {
		return append(s, install.SystemdSteps(unitMember(i), proc)...), nil
	}
	return append(s, install.StartStep(proc)), nil
}

// binaryStep copies the watchdog binary to the machine when the checksum
// recorded beside it there differs from the provider's. The check reads
// that small file rather than hashing the binary on the machine (tens of
// megabytes, on every pass, on every member).
func binaryStep(p string, bin *binary) steps.Step {
	sumFile := p + ".sha256"
	return steps.Step{
		Name: "watchdog binary " + p,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			res, err := e.Run(ctx, "test -x "+executor.ShellQuote(p)+" && cat -- "+executor.ShellQuote(sumFile), nil)
			if err != nil {
				return false, err
			}
			return res.ExitCode == 0 && strings.TrimSpace(res.Stdout) == bin.sum, nil
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			if err := e.WriteFile(ctx, p, bin.data, 0o755); err != nil {
				return err
			}
			return e.WriteFile(ctx, sumFile, []byte(bin.sum+"\n"), 0o644)
		},
	}
}

// A binary is the watchdog binary as the provider read it, with its
// SHA-256.
type binary struct {
	data []byte
	sum  string
}

// binaries holds each binary read, by path: read once per provider
// process rather than on every pass.
var binaries sync.Map

// loadBinary reads the binary at p once.
func loadBinary(p string) (*binary, error) {
	type loaded struct {
		once sync.Once
		bin  *binary
		err  error
	}
	v, _ := binaries.LoadOrStore(p, &loaded{})
	l := v.(*loaded)
	l.once.Do(func() {
		data, err := os.ReadFile(p)
		if err != nil {
			l.err = errors.Wrapf(err, errWatchdogBinary, p)
			return
		}
		sum := sha256.Sum256(data)
		l.bin = &binary{data: data, sum: hex.EncodeToString(sum[:])}
	})
	return l.bin, l.err
}

// ownedFile makes sure path holds content, mode 0600, owned by owner: the
// watchdog, which runs as owner, refuses a configuration or password file
// others may read.
func ownedFile(p string, content []byte, owner string) steps.Step {
	f := steps.File(p, content, watchdog.ConfigMode)
	return steps.Step{
		Name: ownedFileName(p),
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			ok, err := f.Check(ctx, e)
			if err != nil || !ok {
				return false, err
			}
			res, err := e.Run(ctx, "stat -c %U -- "+executor.ShellQuote(p), nil)
			if err != nil {
				return false, err
			}
			return res.ExitCode == 0 && strings.TrimSpace(res.Stdout) == owner, nil
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			if err := f.Apply(ctx, e); err != nil {
				return err
			}
			res, err := e.Run(ctx, executor.ShellCommand("chown", "--", owner, p), nil)
			if err == nil && res.ExitCode != 0 {
				err = errors.New(strings.TrimSpace(res.Stderr))
			}
			return err
		},
	}
}

func ownedFileName(p string) string { return "owned file " + p }

// withoutPasswordFile is the configuration's step s that also removes the
// password file providers before the watchdog logged in over the socket
// wrote beside it. Their configuration named that file, so the new one
// is written once on each such member, and that write removes it: no
// command more on every pass.
func withoutPasswordFile(s steps.Step, password string) steps.Step {
	apply := s.Apply
	s.Apply = func(ctx context.Context, e executor.Executor) error {
		if err := apply(ctx, e); err != nil {
			return err
		}
		res, err := e.Run(ctx, executor.ShellCommand("rm", "-f", "--", password), nil)
		if err == nil && res.ExitCode != 0 {
			err = errors.New(strings.TrimSpace(res.Stderr))
		}
		return err
	}
	return s
}

// ensureWatchdog installs and runs the watchdog beside a member that holds
// data. A configuration that changed (a new epoch, a new password) is
// taken up by restarting the watchdog: it reads its configuration once.
func (e *external) ensureWatchdog(ctx context.Context, m member) error {
	if m.wd == nil || m.off != "" || m.inst == nil || !initialized(ctx, m.inst) {
		return nil
	}
	bin, err := loadBinary(e.watchdogPath)
	if err != nil {
		return errors.Wrapf(err, errInstallWatchdog, m.vm)
	}
	plan, err := watchdogSteps(m.wd, m.inst, bin, e.rec.Epoch, e.fenceAfter)
	if err != nil {
		return errors.Wrapf(err, errInstallWatchdog, m.vm)
	}
	report, err := steps.Run(ctx, m.inst.Exec, plan, nil)
	if err != nil {
		return errors.Wrapf(err, errInstallWatchdog, m.vm)
	}
	// The watchdog reads its configuration only at its start.
	if !slices.Contains(report.Changed, ownedFileName(pathsOf(m.inst).config)) {
		return nil
	}
	proc := m.wd.process(m.inst, e.fenceAfter)
	if m.wd.systemd {
		_, err = m.inst.Exec.Run(ctx, executor.ShellCommand("systemctl", "try-restart", "--", install.UnitName(unitMember(m.inst))), nil)
		return errors.Wrapf(err, errInstallWatchdog, m.vm)
	}
	if err := install.Stop(ctx, m.inst.Exec, proc); err != nil {
		return errors.Wrapf(err, errInstallWatchdog, m.vm)
	}
	_, err = steps.Run(ctx, m.inst.Exec, []steps.Step{install.StartStep(proc)}, nil)
	return errors.Wrapf(err, errInstallWatchdog, m.vm)
}

// stopWatchdog stops the member's watchdog before its server is stopped
// for good, so that it does not take the stop for a fault.
func stopWatchdog(ctx context.Context, m member) error {
	if m.wd == nil || m.inst == nil {
		return nil
	}
	if m.wd.systemd {
		res, err := m.inst.Exec.Run(ctx, install.RemoveUnitScript(install.UnitName(unitMember(m.inst))), nil)
		if err == nil && res.ExitCode != 0 {
			err = errors.New(strings.TrimSpace(res.Stderr))
		}
		return errors.Wrapf(err, errStopWatchdog, m.vm)
	}
	return errors.Wrapf(install.Stop(ctx, m.inst.Exec, m.wd.process(m.inst, 0)), errStopWatchdog, m.vm)
}

// unitMember names a member's systemd unit: the instance's directory name
// on the machine (<namespace>-<instance>), unique there.
func unitMember(i *postgresql.Instance) string { return path.Base(i.Dir) }
