package backuptest

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

// StopRunsBelow has the test, when it ends, stop the pgBackRest runs
// (backups, verifies) started detached for the instances below base, as
// their removal would: a test that leaves its instances for the cleanup to
// stop (local.StopAll stops servers only) would otherwise leave a verify
// retrying its store, gone by then, for many minutes. It stops only the
// runs whose files are below base, by the sessions they record.
func StopRunsBelow(t *testing.T, base string) {
	t.Helper()
	t.Cleanup(func() {
		_ = filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() || d.Name() != "pgbackrest" {
				return nil //nolint:nilerr // A directory removed meanwhile holds no runs.
			}
			i := &postgresql.Instance{Exec: executor.Local{}, Dir: filepath.Dir(path)}
			if err := pgbackrest.StopRuns(context.Background(), i); err != nil {
				t.Errorf("cannot stop the pgBackRest runs below %s: %v", path, err)
			}
			return filepath.SkipDir
		})
	})
}
