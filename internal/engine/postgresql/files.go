package postgresql

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

// Every file the engine touches is on the member's machine, which may be
// another one than the provider's: it reads, writes and removes them through
// the instance's executor. Reads use ReadFile, which on this host runs no
// command, because the provider asks whether a member is initialized or
// running on every reconcile.

// readFile returns the content of path on the machine; the error wraps
// fs.ErrNotExist when there is no such file.
func (i *Instance) readFile(ctx context.Context, path string) ([]byte, error) {
	x, err := i.exec()
	if err != nil {
		return nil, err
	}
	return x.ReadFile(ctx, path)
}

// fileExists reports whether the regular file path exists.
func (i *Instance) fileExists(ctx context.Context, path string) (bool, error) {
	_, err := i.readFile(ctx, path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, err
	}
}

// writeScript writes stdin to the file named by $1 atomically with mode:
// into a temporary file beside it, renamed over it, so that a reader (the
// server reading pg_hba.conf, say) never sees half a file.
const writeScript = `umask 077
t=$(mktemp "$1.tmp-XXXXXX") || exit 1
if cat > "$t" && chmod "$2" "$t" && mv -f "$t" "$1"; then exit 0; fi
rm -f "$t"
exit 1`

// writeFile replaces path with data and mode, as the engine user, who owns
// it afterwards: the server reads the files the provider writes for it, and
// password files must be the engine user's with mode 0600. The data reaches
// the machine on standard input, never on a command line.
func (i *Instance) writeFile(ctx context.Context, path string, data []byte, mode fs.FileMode) error {
	_, err := i.runAs(ctx, nil, bytes.NewReader(data), "sh", "-c", writeScript, "sh", path, fmt.Sprintf("%04o", mode.Perm()))
	return err
}

// writeRootFile replaces path with data and mode as the executor's user,
// for the provider's own markers, which the engine user needs not write.
func (i *Instance) writeRootFile(ctx context.Context, path string, data []byte, mode fs.FileMode) error {
	x, err := i.exec()
	if err != nil {
		return err
	}
	return x.WriteFile(ctx, path, data, mode)
}

// remove removes files that may not exist.
func (i *Instance) remove(ctx context.Context, what string, paths ...string) error {
	_, err := i.shell(ctx, what, executor.ShellCommand(append([]string{"rm", "-f", "--"}, paths...)...))
	return err
}

// removeAll removes a directory and what it holds.
func (i *Instance) removeAll(ctx context.Context, what, path string) error {
	_, err := i.shell(ctx, what, executor.ShellCommand("rm", "-rf", "--", path))
	return err
}

// mkdir creates path with its parents, sets its mode and, when owned, hands
// it to the engine user (see mkdirScript).
func (i *Instance) mkdir(ctx context.Context, what, path string, mode fs.FileMode, owned bool) error {
	_, err := i.shell(ctx, what, mkdirScript(path, mode, owned))
	return err
}

// mkdirScript creates path with its parents, sets its mode and, when
// owned, hands it to the engine user when the executor is root; otherwise
// the engine runs as the executor's user and owns it already.
func mkdirScript(path string, mode fs.FileMode, owned bool) string {
	script := executor.ShellCommand("mkdir", "-p", "--", path) + " && " + executor.ShellCommand("chmod", fmt.Sprintf("%04o", mode.Perm()), "--", path)
	if owned {
		script += " && { [ \"$(id -u)\" -ne 0 ] || " + executor.ShellCommand("chown", engineUser+":", "--", path) + "; }"
	}
	return script
}

// appendFile adds text to the end of the engine user's file path, such as
// postgresql.conf of initdb: read, extended and written back whole, so that
// a reader never sees a half-written line.
func (i *Instance) appendFile(ctx context.Context, path, text string) error {
	have, err := i.readFile(ctx, path)
	if err != nil {
		return err
	}
	return i.writeFile(ctx, path, append(have, text...), 0o600)
}
