package backupstore

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/backupstore"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
)

const (
	errTempDir = "cannot make a directory for pgBackRest's configuration"
	errWrite   = "cannot write pgBackRest's configuration"
	errInfo    = "pgbackrest info: %s"

	// lookTimeout bounds one look: pgBackRest retries an S3 request that
	// fails for a while before it gives up, and a store that does not
	// answer in this time is not one to report as reachable.
	lookTimeout = 90 * time.Second
)

// lookResult is what a store holds.
type lookResult = pgbackrest.RepoInfo

// lookLocally runs `pgbackrest info` on the provider's host with a
// configuration that names only the store, in a directory of its own that
// only the provider's user reads (0700, the file 0600): the file holds
// the store's credentials and passphrase, which are never on a command
// line. info without a stanza lists every stanza in the store.
func lookLocally(ctx context.Context, st backupstore.Store) (lookResult, error) {
	dir, err := os.MkdirTemp("", "dbaas-store-")
	if err != nil {
		return lookResult{}, errors.Wrap(err, errTempDir)
	}
	defer os.RemoveAll(dir)
	repo := st.Repo
	if st.CA != nil && repo.S3 != nil {
		s3 := *repo.S3
		s3.CAFile = filepath.Join(dir, "ca.crt")
		if err := os.WriteFile(s3.CAFile, st.CA, 0o600); err != nil {
			return lookResult{}, errors.Wrap(err, errWrite)
		}
		repo.S3 = &s3
	}
	conf, err := pgbackrest.RenderRepo(repo, filepath.Join(dir, "log"), filepath.Join(dir, "lock"))
	if err != nil {
		return lookResult{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, "pgbackrest.conf"), []byte(conf), 0o600); err != nil {
		return lookResult{}, errors.Wrap(err, errWrite)
	}
	ctx, cancel := context.WithTimeout(ctx, lookTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, pgbackrest.Bin, "--config-path="+dir, "info", "--output=json")
	cmd.Dir = dir
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := pgbackrest.ErrorLines(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return lookResult{}, errors.Errorf(errInfo, msg)
	}
	return pgbackrest.ParseRepoInfo([]byte(stdout.String()))
}
