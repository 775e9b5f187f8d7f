package postgresql

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/executor"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestExtensions(t *testing.T) {
	// A share directory holding the control files of a machine with the
	// contrib extensions and PostGIS, but not pgvector.
	root := t.TempDir()
	dir := filepath.Join(root, "15", "extension")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"cube", "earthdistance", "pg_trgm", "postgis", "postgis_topology"} {
		if err := os.WriteFile(filepath.Join(dir, n+".control"), []byte("relocatable = true\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := map[string]struct {
		reason    string
		names     []string
		available []string
		missing   []string
		err       string
	}{
		"None": {
			reason: "an instance without extensions needs nothing",
		},
		"Installed": {
			reason:    "extensions whose control files are here are available, with those they require",
			names:     []string{"postgis_topology", "earthdistance"},
			available: []string{"cube", "earthdistance", "postgis", "postgis_topology"},
		},
		"Missing": {
			reason:    "an extension without its control file is missing",
			names:     []string{"vector", "pg_trgm"},
			available: []string{"pg_trgm"},
			missing:   []string{"vector"},
		},
		"NotAllowed": {
			reason: "an extension off the allow-list is refused whatever is installed",
			names:  []string{"plpython3u"},
			err:    `extension "plpython3u" is not in the allow-list`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			i := &Instance{Exec: executor.Local{}, Version: "15.4", ShareRoot: root}
			available, missing, err := i.Extensions(context.Background(), tc.names)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("%s\nExtensions(...): want error with %q, got %v", tc.reason, tc.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.available, available, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\navailable: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.missing, missing, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nmissing: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
