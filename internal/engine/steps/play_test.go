package steps

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/testing/integration"
	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
)

// executors returns a Local executor and an SSH one to this host, so a play
// is shown to behave the same whether the machine is here or over SSH.
func executors(t *testing.T) map[string]executor.Executor {
	t.Helper()
	srv := sshtest.Start(t)
	e, _, err := executor.DialSSH(context.Background(), executor.Config{Address: srv.Addr(), User: srv.User(), PrivateKeyPEM: srv.ClientKeyPEM()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return map[string]executor.Executor{"Local": executor.Local{}, "SSH": e}
}

// play is what an engine would ask for, rooted in a temporary directory
// instead of /.
func play(root string) []Step {
	return []Step{
		User("root", "/root"), // Exists on every host: only its check runs.
		Directory(filepath.Join(root, "var/lib/engine"), "root:root", 0o750),
		File(filepath.Join(root, "var/lib/engine/engine.conf"), []byte("port = 5432\nlisten = '*'\n"), 0o640),
		Directory(filepath.Join(root, "etc/security/limits.d"), "", 0o755),
		Limits("engine", 65536, filepath.Join(root, "etc/security/limits.d/dbaas-engine.conf")),
		Directory(filepath.Join(root, "etc/sysctl.d"), "", 0o755),
		Sysctl("vm.swappiness", "1", filepath.Join(root, "etc/sysctl.d/60-dbaas.conf"), DropInOnly),
	}
}

func names(steps []Step) []string {
	n := make([]string, len(steps))
	for i, s := range steps {
		n[i] = s.Name
	}
	return n
}

func TestPlayIsIdempotent(t *testing.T) {
	integration.Needs(t, "root, to hand a directory to root:root")
	for name, e := range executors(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			root := t.TempDir()
			steps := play(root)
			all := names(steps)

			// The first run changes everything but the existing user.
			r, err := Run(ctx, e, steps, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := Report{Unchanged: all[:1], Changed: all[1:]}
			if diff := cmp.Diff(want, r, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("first run: -want +got:\n%s", diff)
			}
			wantFiles := map[string]struct {
				content string
				mode    fs.FileMode
			}{
				"var/lib/engine/engine.conf":              {"port = 5432\nlisten = '*'\n", 0o640},
				"etc/security/limits.d/dbaas-engine.conf": {"# Written by the dbaas provider; local edits are overwritten.\nengine soft nofile 65536\nengine hard nofile 65536\n", 0o644},
				"etc/sysctl.d/60-dbaas.conf":              {"# Written by the dbaas provider; local edits are overwritten.\nvm.swappiness = 1\n", 0o644},
			}
			for p, w := range wantFiles {
				b, err := os.ReadFile(filepath.Join(root, p))
				if err != nil {
					t.Fatal(err)
				}
				fi, _ := os.Stat(filepath.Join(root, p))
				if string(b) != w.content || fi.Mode().Perm() != w.mode {
					t.Errorf("%s: %q %v, want %q %v", p, b, fi.Mode().Perm(), w.content, w.mode)
				}
			}
			if fi, err := os.Stat(filepath.Join(root, "var/lib/engine")); err != nil || fi.Mode().Perm() != 0o750 || !fi.IsDir() {
				t.Errorf("var/lib/engine: %v, %v; want a directory with mode 0750", fi, err)
			}

			// The second run finds everything done.
			r, err = Run(ctx, e, steps, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !r.NothingChanged() || len(r.Unchanged) != len(steps) {
				t.Errorf("second run changed something: %+v", r)
			}

			// Drift is put right, and only the drifted steps change.
			conf := filepath.Join(root, "var/lib/engine/engine.conf")
			if err := os.WriteFile(conf, []byte("port = 1\n"), 0o640); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Join(root, "var/lib/engine"), 0o777); err != nil {
				t.Fatal(err)
			}
			r, err = Run(ctx, e, steps, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{all[1], all[2]}, r.Changed); diff != "" {
				t.Errorf("after drift, changed: -want +got:\n%s", diff)
			}
		})
	}
}

func TestPlayStopsAtTheFailedStep(t *testing.T) {
	for name, e := range executors(t) {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			later := filepath.Join(root, "later.conf")
			steps := []Step{
				File(filepath.Join(root, "first.conf"), []byte("a"), 0o600),
				// Its parent does not exist, so writing fails.
				File(filepath.Join(root, "missing/dir/second.conf"), []byte("b"), 0o600),
				File(later, []byte("c"), 0o600),
			}
			r, err := Run(context.Background(), e, steps, nil)
			if err == nil {
				t.Fatal("Run succeeded")
			}
			t.Log(err)
			if want := `step "file ` + filepath.Join(root, "missing/dir/second.conf") + `": cannot apply it: `; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
			if !strings.Contains(err.Error(), "missing/dir") {
				t.Errorf("error %q does not say what could not be written", err)
			}
			want := Report{Changed: []string{steps[0].Name}, Failed: steps[1].Name, NotRun: []string{steps[2].Name}}
			if diff := cmp.Diff(want, r, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
			if _, err := os.Stat(later); !os.IsNotExist(err) {
				t.Errorf("the step after the failed one ran: %v", err)
			}
		})
	}
}

func TestDirectoryRefusesAFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(p, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), executor.Local{}, []Step{Directory(p, "", 0o700)}, nil)
	if err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Fatalf("want a not-a-directory error, got %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "precious" {
		t.Error("the file was changed")
	}
}
