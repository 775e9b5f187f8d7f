// This file holds the settings stage: postgresql.auto.conf, the names the
// server knows, and what a running server took from the file.

package pgvm

import (
	"context"
	"io/fs"
	"path"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
)

const (
	errUnknownSetting = "PostgreSQL %s has no parameter %q"
	errRejected       = "the server did not take these settings, and keeps its previous values (its log says why): %s"
)

// settingsStep writes postgresql.auto.conf. When the server runs, it
// reloads it, and restarts it when the server says a changed setting takes
// effect only at start (pending_restart): parameters of context postmaster,
// such as max_connections and shared_buffers, size shared memory or bind
// sockets once, when the server starts.
func settingsStep(o Options) steps.Step {
	f := newConfigFile(o, "postgresql.auto.conf", renderSettings)
	return steps.Step{
		Name: StepSettings,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			same, up, err := f.check(ctx, e)
			if err != nil || !same || !up {
				return err == nil && same, err
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
			old, err := e.ReadFile(ctx, f.path)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			if err := f.write(ctx, e); err != nil {
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
