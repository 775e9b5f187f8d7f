package postgresql

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strconv"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errSocketLink   = "cannot link the short socket directory to the instance's"
	errSocketUnlink = "cannot remove the link to the instance's socket directory"

	// maxSocketPath is the longest unix socket path PostgreSQL accepts
	// (sizeof(sun_path) - 1 on Linux).
	maxSocketPath = 107

	// SocketRoot holds the short socket directories of members whose own
	// would make a socket path longer than maxSocketPath: machines can
	// live deep in the file system (a test's temporary directory, a
	// ClusterProviderConfig's baseDir), and a namespace and an instance
	// name each up to 63 bytes make long paths anywhere. It is root's, so
	// no other user can make or replace an entry in it.
	SocketRoot = "/run/dbaas"

	// socketAliasLen is how many hex digits of the SHA-256 of the
	// instance's directory name its entry in SocketRoot: 64 bits, so that
	// two members' entries never meet.
	socketAliasLen = 16
)

// ownSocketDir is the socket directory inside the instance's directory,
// which holds the socket and its lock file whichever path reaches them.
func (i *Instance) ownSocketDir() string { return filepath.Join(i.Dir, "run") }

// SocketDir is the instance's unix socket directory: its own, inside the
// instance's directory, when the socket's path there fits PostgreSQL's
// limit, else a link in SocketRoot named after the instance's directory
// (at most 42 bytes with the socket's name) that leads to its own. The
// socket then still lives, and goes, with the instance's directory, and
// an instance whose path fits keeps the socket directory it always had.
func (i *Instance) SocketDir() string {
	own := i.ownSocketDir()
	if socketFits(own, i.Port) {
		return own
	}
	return socketAlias(i.Dir)
}

// socketFits reports whether the socket of port in dir has a path that
// PostgreSQL accepts.
func socketFits(dir string, port int32) bool {
	return len(filepath.Join(dir, ".s.PGSQL."+strconv.Itoa(int(port)))) <= maxSocketPath
}

// socketAlias is the entry in SocketRoot for the instance whose directory
// is dir.
func socketAlias(dir string) string {
	sum := sha256.Sum256([]byte(filepath.Clean(dir)))
	return filepath.Join(SocketRoot, hex.EncodeToString(sum[:])[:socketAliasLen])
}

// linkSocketDir makes the instance's entry in SocketRoot lead to its own
// socket directory, when it needs one. It runs before every start: the
// root is on a tmpfs, which a reboot empties.
func (i *Instance) linkSocketDir(ctx context.Context) error {
	alias := i.SocketDir()
	if alias == i.ownSocketDir() {
		return nil
	}
	// Links whose member's directory is gone (a machine deleted without
	// its instance, a test's temporary directory) are pruned first: GNU
	// find's -xtype l matches a link that leads nowhere, so a live
	// member's link is never touched.
	script := executor.ShellCommand("mkdir", "-p", "--", SocketRoot) + " && " +
		executor.ShellCommand("chmod", "0755", "--", SocketRoot) + " && " +
		executor.ShellCommand("find", SocketRoot, "-mindepth", "1", "-maxdepth", "1", "-xtype", "l", "-delete") + " && " +
		executor.ShellCommand("ln", "-sfn", "--", i.ownSocketDir(), alias)
	_, err := i.shell(ctx, errSocketLink, script)
	return err
}

// unlinkSocketDir removes the instance's entry in SocketRoot, if it has one.
func (i *Instance) unlinkSocketDir(ctx context.Context) error {
	if alias := i.SocketDir(); alias != i.ownSocketDir() {
		return i.remove(ctx, errSocketUnlink, alias)
	}
	return nil
}
