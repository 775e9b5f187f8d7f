package postgresql

import (
	"context"
	"io"
	"io/fs"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

// EngineUser is the OS user the engine's programs run as when the executor
// runs as root. The server's tools (pgBackRest) run as it too, and connect
// to the server over its unix socket as the role of that name.
const EngineUser = engineUser

// The server's tools, such as pgBackRest, run beside the server on its
// machine, as the engine user, with files only the engine user reads: the
// methods below give them the instance's way of doing that, so that they
// follow the same rules (a built environment, files written atomically from
// standard input, never a secret on a command line).

// RunAsEngine runs args as the engine user in the instance's directory and
// returns what it printed; a non-zero exit is an error holding its output.
// Neither args nor env may hold a secret: they are on a command line.
func (i *Instance) RunAsEngine(ctx context.Context, env []string, stdin io.Reader, args ...string) (executor.Result, error) {
	return i.runAs(ctx, env, stdin, args...)
}

// WriteEngineFile replaces path with data and mode as the engine user, who
// owns it afterwards. The data travels on standard input.
func (i *Instance) WriteEngineFile(ctx context.Context, path string, data []byte, mode fs.FileMode) error {
	return i.writeFile(ctx, path, data, mode)
}

// MakeEngineDir creates path with its parents and mode, owned by the engine
// user.
func (i *Instance) MakeEngineDir(ctx context.Context, what, path string, mode fs.FileMode) error {
	return i.mkdir(ctx, what, path, mode, true)
}
