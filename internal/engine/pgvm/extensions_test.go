package pgvm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/steps"
	"github.com/dbaas-io/dbaas/internal/testing/exectest"
)

// shareWith returns a share root whose PostgreSQL 15 has the control files
// of names only.
func shareWith(t *testing.T, names ...string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "15", "extension")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n+".control"), []byte("relocatable = true\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestFindExtensions runs the find step's check and apply through a real
// shell on this machine, against a share directory the test made.
func TestFindExtensions(t *testing.T) {
	cases := map[string]struct {
		reason    string
		installed []string
		want      []string
		available []string
		missing   []string
		err       string
	}{
		"Installed": {
			reason:    "extensions whose control files are there, with those they require, are found",
			installed: []string{"cube", "earthdistance", "postgis", "postgis_topology"},
			want:      []string{"earthdistance", "postgis_topology"},
			available: []string{"cube", "earthdistance", "postgis", "postgis_topology"},
		},
		"Missing": {
			reason:    "a missing extension fails the step, naming its control file and its package",
			installed: []string{"pg_trgm"},
			want:      []string{"vector", "pg_trgm"},
			available: []string{"pg_trgm"},
			missing:   []string{"vector"},
			err:       "extension vector is not installed on the machine: its control file ",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := Options{Extensions: tc.want, ShareRoot: shareWith(t, tc.installed...)}.withDefaults()
			available, missing, err := Extensions(context.Background(), executor.Local{}, o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.available, available, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\navailable: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.missing, missing, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nmissing: -want +got:\n%s", tc.reason, diff)
			}
			_, err = steps.Run(context.Background(), executor.Local{}, []steps.Step{findExtensionsStep(o)}, nil)
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("%s\nfind step: %v", tc.reason, err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "install the package postgresql-15-pgvector")):
				t.Errorf("%s\nfind step: want an error with %q and the package, got %v", tc.reason, tc.err, err)
			}
		})
	}
}

// TestInstallExtensionsCommands checks that the install step asks apt for
// each package once, like the server's, on a machine that says yes
// to everything.
func TestInstallExtensionsCommands(t *testing.T) {
	o := Options{Extensions: []string{"postgis_topology", "postgis", "vector", "hstore"}}.withDefaults()
	s, err := installExtensionsStep(o)
	if err != nil {
		t.Fatal(err)
	}
	f := &exectest.Recorder{}
	if err := s.Apply(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	var installs []string
	for _, c := range f.Cmds {
		if strings.Contains(c, "apt-get") {
			installs = append(installs, c)
		}
	}
	if len(installs) != 2 || !strings.Contains(installs[0], "install -y postgresql-15-pgvector ") || !strings.Contains(installs[1], "install -y postgresql-15-postgis-3 ") {
		t.Errorf("want one apt-get install each of postgresql-15-pgvector and postgresql-15-postgis-3, got:\n%s", strings.Join(installs, "\n"))
	}
}

func TestPlanRefusesExtension(t *testing.T) {
	o := vmOptions()
	o.Extensions = []string{"plpython3u"}
	if _, err := Provision(o); err == nil || !strings.Contains(err.Error(), `extension "plpython3u" is not in the allow-list`) {
		t.Errorf("Provision with plpython3u: want the allow-list refusal, got %v", err)
	}
}
