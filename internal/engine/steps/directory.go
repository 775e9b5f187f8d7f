package steps

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errNotDirectory = "%s exists and is not a directory"
	errStatOutput   = "cannot parse what stat said about %s: %q"
)

// Directory makes sure path is a directory with owner ("user" or
// "user:group"; empty leaves ownership alone) and mode. Missing parents
// are created.
func Directory(path, owner string, mode fs.FileMode) Step {
	return Step{
		Name: "directory " + path,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			st, err := stat(ctx, e, path)
			if err != nil || !st.exists {
				return false, err
			}
			if st.kind != "directory" {
				// Never replace what is there: it may be data.
				return false, errors.Errorf(errNotDirectory, path)
			}
			return st.mode == mode.Perm() && st.ownedBy(owner), nil
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			_, err := run(ctx, e, directoryCommand(path, owner, mode))
			return err
		},
	}
}

func directoryCommand(path, owner string, mode fs.FileMode) string {
	cmds := []string{executor.ShellCommand("mkdir", "-p", "--", path)}
	if owner != "" {
		cmds = append(cmds, executor.ShellCommand("chown", "--", owner, path))
	}
	cmds = append(cmds, executor.ShellCommand("chmod", "--", fmt.Sprintf("%04o", mode.Perm()), path))
	return strings.Join(cmds, " && ")
}

// pathStat is what stat says about a path.
type pathStat struct {
	exists bool
	kind   string // as stat's %F prints it: "directory", "regular file", ...
	user   string
	group  string
	mode   fs.FileMode
}

func (s pathStat) ownedBy(owner string) bool {
	if owner == "" {
		return true
	}
	user, group, hasGroup := strings.Cut(owner, ":")
	return s.user == user && (!hasGroup || s.group == group)
}

// stat asks the machine about path with GNU stat.
func stat(ctx context.Context, e executor.Executor, path string) (pathStat, error) {
	cmd := fmt.Sprintf("[ -e %s ] || exit %d\nexec stat -c '%%F|%%U|%%G|%%a' -- %s", q(path), exitMissing, q(path))
	res, err := e.Run(ctx, cmd, nil)
	switch {
	case err != nil:
		return pathStat{}, errors.Wrapf(err, errRun, "stat "+path)
	case res.ExitCode == exitMissing:
		return pathStat{}, nil
	case res.ExitCode != 0:
		return pathStat{}, errors.Errorf(errFailed, "stat "+path, res.ExitCode, strings.TrimSpace(res.Stderr))
	}
	f := strings.Split(strings.TrimSpace(res.Stdout), "|")
	if len(f) != 4 {
		return pathStat{}, errors.Errorf(errStatOutput, path, res.Stdout)
	}
	m, err := strconv.ParseUint(f[3], 8, 32)
	if err != nil {
		return pathStat{}, errors.Errorf(errStatOutput, path, res.Stdout)
	}
	// %a includes setuid, setgid and sticky bits; Perm drops them as
	// Directory and File do.
	return pathStat{exists: true, kind: f[0], user: f[1], group: f[2], mode: fs.FileMode(m).Perm()}, nil
}
