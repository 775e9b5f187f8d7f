package plugin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"

	corev1 "k8s.io/api/core/v1"
)

// An ExitError carries the exit code of the client connect ran, so that
// kubectl dbaas exits with it as psql would have.
type ExitError struct{ Code int }

func (e ExitError) Error() string { return fmt.Sprintf("the client exited with %d", e.Code) }

func newConnectCommand(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "connect NAME [-- CLIENT-ARGS...]",
		Short: "Open the engine's client (psql) on a Ready Database with its connection secret",
		Long: "connect runs psql (mariadb for that engine) against the Database with the credentials of its\n" +
			"connection secret. The password is handed over in a file only the client can read (psql's\n" +
			"PGPASSFILE), removed when the client exits: it is never printed, nor on a command line.\n" +
			"Arguments after -- go to the client.",
		Example: "  kubectl dbaas connect orders\n  kubectl dbaas connect orders -- -c 'select version()'",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if n := cmd.ArgsLenAtDash(); n > 1 || (n == -1 && len(args) > 1) {
				return errors.New("connect takes one Database name; put the client's arguments after --")
			}
			c, err := newCluster(o.Flags)
			if err != nil {
				return err
			}
			plan, err := connectTo(cmd.Context(), c, args[0], args[1:])
			if err != nil {
				return err
			}
			return o.run(plan)
		},
	}
}

// connectTo reads a Database and its connection secret and plans how to
// reach it. A Database that is not Ready is refused: its secret may be
// missing, or name a primary that is about to change.
func connectTo(ctx context.Context, c *cluster, name string, extra []string) (connectPlan, error) {
	u, err := c.get(ctx, databases, c.namespace, name)
	if err != nil {
		return connectPlan{}, err
	}
	d := asDatabase(u)
	if phase, msg := d.phase(); phase != phaseReady {
		if msg != "" {
			msg = ": " + msg
		}
		return connectPlan{}, fmt.Errorf("database %s/%s is not Ready (%s%s); see kubectl dbaas status %s -n %s",
			d.namespace(), d.name(), phase, msg, d.name(), d.namespace())
	}
	// Only the Database's own namespace: a name in its spec never sends the
	// plugin to another team's Secret.
	su, err := c.get(ctx, secrets, d.namespace(), d.connectionSecret())
	if err != nil {
		return connectPlan{}, err
	}
	s := &corev1.Secret{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(su.Object, s); err != nil {
		return connectPlan{}, err
	}
	return planConnect(d.str("spec", "engine"), s.Data, extra)
}

// run writes a plan's files into a private directory, runs its client on
// the plugin's streams and removes the files when the client exits.
func (o *Options) run(p connectPlan) (err error) {
	program, err := o.LookPath(p.program)
	if err != nil {
		return fmt.Errorf("cannot find %s on the PATH: install the engine's client (for PostgreSQL, Debian's postgresql-client): %w", p.program, err)
	}
	dir, err := os.MkdirTemp("", "kubectl-dbaas-")
	if err != nil {
		return err
	}
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			err = rerr
		}
	}()
	paths := map[string]string{}
	for name := range p.files {
		paths[name] = filepath.Join(dir, name)
	}
	for name, content := range p.files {
		if err := os.WriteFile(paths[name], []byte(resolve(string(content), paths)), 0o600); err != nil {
			return err
		}
	}
	args := make([]string, len(p.args))
	for i, a := range p.args {
		args[i] = resolve(a, paths)
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains(p.drop, k)
	})
	for _, kv := range p.env {
		env = append(env, resolve(kv, paths))
	}

	cmd := exec.Command(program, args...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = o.IO.In, o.IO.Out, o.IO.ErrOut
	// Ctrl-C is the client's: psql cancels the running query. The plugin
	// stays to remove the files once the client exits.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return ExitError{Code: exit.ExitCode()}
		}
		return err
	}
	return nil
}
