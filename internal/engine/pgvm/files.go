// This file holds how the play compares and writes the files it owns on the
// machine (settings, pg_hba.conf, the systemd unit), by checksum, mode and
// owner.

package pgvm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
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
