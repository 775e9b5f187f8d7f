// This file holds how the play compares and writes the files it owns on the
// machine (settings, pg_hba.conf, the systemd unit), by checksum, mode and
// owner, and the configuration files a running server must also have taken.

package pgvm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"path"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errWrite = "cannot write %s"
	errHash  = "cannot parse the checksum of %s: %q"
)

// ownedFileMatches reports whether p is a regular file with content's
// checksum, mode and owner. The checksum is computed on the machine.
func ownedFileMatches(ctx context.Context, e executor.Executor, p string, content []byte, mode fs.FileMode, owner string) (bool, error) {
	st, err := stat(ctx, e, p)
	if err != nil || !st.exists {
		return false, err
	}
	if st.dir || st.mode != mode || (owner != "" && st.user != owner) {
		return false, nil
	}
	res, err := run(ctx, e, "sha256sum "+p, "sha256sum < "+q(p))
	if err != nil {
		return false, err
	}
	got, _, _ := strings.Cut(res.Stdout, " ")
	if len(got) != sha256.Size*2 {
		return false, errors.Errorf(errHash, p, res.Stdout)
	}
	sum := sha256.Sum256(content)
	return got == hex.EncodeToString(sum[:]), nil
}

// writeOwnedFile writes p and hands it to owner (when not empty).
func writeOwnedFile(ctx context.Context, e executor.Executor, p string, content []byte, mode fs.FileMode, owner string) error {
	if err := e.WriteFile(ctx, p, content, mode); err != nil {
		return errors.Wrapf(err, errWrite, p)
	}
	if owner == "" {
		return nil
	}
	_, err := run(ctx, e, "chown "+p, executor.ShellCommand("chown", "--", owner+":", p))
	return err
}

// A configFile is a configuration file the server reads from its data
// directory: 0600 and the OS user's, as initdb makes them.
type configFile struct {
	o       Options
	path    string
	content []byte
}

// newConfigFile is the file name in the data directory, as render makes it
// from o. Plan's validate has checked that o renders.
func newConfigFile(o Options, name string, render func(Options) (string, error)) configFile {
	content, _ := render(o)
	return configFile{o: o, path: path.Join(o.dataDir(), name), content: []byte(content)}
}

// check reports whether the file on the machine is this one and, when it
// is, whether the server runs: a file that is right is not enough while a
// running server has not taken it too, which the step then asks it.
func (f configFile) check(ctx context.Context, e executor.Executor) (same, up bool, err error) {
	same, err = ownedFileMatches(ctx, e, f.path, f.content, 0o600, f.o.OSUser)
	if err != nil || !same {
		return false, false, err
	}
	up, err = running(ctx, e, f.o)
	return true, up, err
}

// write writes the file and hands it to the OS user.
func (f configFile) write(ctx context.Context, e executor.Executor) error {
	return writeOwnedFile(ctx, e, f.path, f.content, 0o600, f.o.OSUser)
}
