package executor

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/testing/sshtest"
)

// executors returns every Executor, each reaching this host, so one table
// of expectations holds for all of them.
func executors(t *testing.T) map[string]Executor {
	t.Helper()
	srv := sshtest.Start(t)
	e, _, err := DialSSH(context.Background(), Config{Address: srv.Addr(), User: srv.User(), PrivateKeyPEM: srv.ClientKeyPEM()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return map[string]Executor{"Local": Local{}, "SSH": e}
}

func TestRun(t *testing.T) {
	cases := map[string]struct {
		cmd   string
		stdin string
		want  Result
	}{
		"Stdout":           {cmd: "echo hello", want: Result{Stdout: "hello\n"}},
		"StderrAndNonZero": {cmd: "echo oops >&2; exit 3", want: Result{Stderr: "oops\n", ExitCode: 3}},
		"Stdin":            {cmd: "tr a-z A-Z", stdin: "piped", want: Result{Stdout: "PIPED"}},
		"NoStdinIsEmpty":   {cmd: "wc -c", want: Result{Stdout: "0\n"}},
		"ShellSyntax":      {cmd: "for i in 1 2; do printf $i; done && [ -d / ]", want: Result{Stdout: "12"}},
		"NotFound":         {cmd: "definitely-not-a-command-xyz", want: Result{Stderr: "sh: 1: definitely-not-a-command-xyz: not found\n", ExitCode: 127}},
		"Killed":           {cmd: "kill -KILL $$", want: Result{ExitCode: 137}},
		"LargeOutput":      {cmd: "yes | head -c 1000000", want: Result{Stdout: strings.Repeat("y\n", 500000)}},
	}
	for ename, e := range executors(t) {
		for name, tc := range cases {
			t.Run(ename+"/"+name, func(t *testing.T) {
				var stdin io.Reader
				if tc.stdin != "" {
					stdin = strings.NewReader(tc.stdin)
				}
				got, err := e.Run(context.Background(), tc.cmd, stdin)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("Run(%q): -want +got:\n%s", tc.cmd, diff)
				}
			})
		}
	}
}

func TestRunCanceled(t *testing.T) {
	for name, e := range executors(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			marker := filepath.Join(t.TempDir(), "survived")
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := e.Run(ctx, "sleep 1 && touch "+ShellQuote(marker), nil)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("want a deadline error, got %v", err)
			}
			if d := time.Since(start); d > 700*time.Millisecond {
				t.Errorf("Run returned after %v; want soon after the deadline", d)
			}
			// The command was killed, not left running.
			time.Sleep(1500 * time.Millisecond)
			if _, err := os.Stat(marker); err == nil {
				t.Error("the canceled command ran to completion")
			}
		})
	}
}

func TestFiles(t *testing.T) {
	for name, e := range executors(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			// A name the shell would split or expand if it were not quoted.
			p := filepath.Join(dir, "it's a $HOME file.conf")

			write := func(data []byte, mode fs.FileMode) {
				t.Helper()
				if err := e.WriteFile(ctx, p, data, mode); err != nil {
					t.Fatal(err)
				}
				got, err := e.ReadFile(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(data, got); diff != "" {
					t.Errorf("read back: -want +got:\n%s", diff)
				}
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != mode {
					t.Errorf("mode %v, want %v", fi.Mode().Perm(), mode)
				}
			}
			write([]byte("listen_addresses = '*'\n\x00binary\xff"), 0o640)
			// Replacing narrows the mode too, and leaves no temporary file.
			write([]byte("second"), 0o600)
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				t.Errorf("want only the file in %s, got %d entries", dir, len(entries))
			}

			_, err = e.ReadFile(ctx, filepath.Join(dir, "missing"))
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("ReadFile of a missing file: want fs.ErrNotExist, got %v", err)
			}
			err = e.WriteFile(ctx, filepath.Join(dir, "no-such-dir", "f"), []byte("x"), 0o644)
			if err == nil || !strings.Contains(err.Error(), "no-such-dir") {
				t.Errorf("WriteFile into a missing directory: want an error naming the path, got %v", err)
			}
		})
	}
}
