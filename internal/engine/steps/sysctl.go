package steps

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const errSysctlKey = "invalid kernel parameter name %q"

// sysctlKey is what a kernel parameter's name looks like, so that a name
// can never be read as an option.
var sysctlKey = regexp.MustCompile(`^[a-z0-9_]+([./][a-zA-Z0-9_-]+)+$`)

// SysctlMode says whether Sysctl also sets the running kernel's value.
type SysctlMode int

const (
	// DropInOnly writes the drop-in file, which takes effect at the next
	// boot. Tests use it: it leaves the host's kernel alone.
	DropInOnly SysctlMode = iota
	// ApplyLive also loads the drop-in with sysctl -p, and checks the
	// running value.
	ApplyLive
)

// Sysctl makes sure the kernel parameter key is set to value in the drop-in
// file dropInPath (such as /etc/sysctl.d/60-dbaas.conf), and, with
// ApplyLive, in the running kernel.
func Sysctl(key, value, dropInPath string, mode SysctlMode) Step {
	content := fmt.Sprintf("# Written by the dbaas provider; local edits are overwritten.\n%s = %s\n", key, value)
	file := fileStep("sysctl "+key, dropInPath, []byte(content), 0o644)
	return Step{
		Name: file.Name,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			if !sysctlKey.MatchString(key) {
				return false, errors.Errorf(errSysctlKey, key)
			}
			done, err := file.Check(ctx, e)
			if err != nil || !done || mode != ApplyLive {
				return done, err
			}
			res, err := run(ctx, e, executor.ShellCommand("sysctl", "-n", key))
			if err != nil {
				return false, err
			}
			// Multi-valued parameters print tab-separated.
			return strings.Join(strings.Fields(res.Stdout), " ") == strings.Join(strings.Fields(value), " "), nil
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			if err := file.Apply(ctx, e); err != nil {
				return err
			}
			if mode != ApplyLive {
				return nil
			}
			_, err := run(ctx, e, sysctlLoadCommand(dropInPath))
			return err
		},
	}
}

func sysctlLoadCommand(dropInPath string) string {
	return executor.ShellCommand("sysctl", "-p", dropInPath)
}
