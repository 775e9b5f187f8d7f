package backup_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dbaas-io/dbaas/internal/localenv"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

// TestExamplesApply applies examples/backups as a user would: the API
// server's validation must accept every object in them.
func TestExamplesApply(t *testing.T) {
	t.Parallel()
	env := testenv.Shared(t)
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(t), "examples", "backups", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("want examples of an S3 store, a posix store and backups, found %v", files)
	}
	for _, f := range files {
		if err := localenv.ApplyFile(context.Background(), env.Client, f); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
}
