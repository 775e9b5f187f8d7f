package postgresql

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
)

func TestParseLook(t *testing.T) {
	const data = "/srv/pg/m/data"
	sum := strings.Repeat("ab", 32)
	cases := map[string]struct {
		reason string
		out    string
		want   Look
		err    bool
	}{
		"Uninitialized": {
			reason: "A member without markers or a postmaster answered and is nothing yet.",
			out:    "end\n",
			want:   Look{Answered: true, Sums: map[string]string{}},
		},
		"PrimaryRunning": {
			reason: "A postmaster whose arguments name the data directory runs for it.",
			out:    "initialized\npid 42\narg /usr/lib/postgresql/15/bin/postgres\narg -D\narg " + data + "\ncwd " + data + "\nsum " + sum + "  " + data + "/dbaas.conf\nalso\nend\n",
			want: Look{Answered: true, Initialized: true, Also: true, Status: Status{Running: true},
				Sums: map[string]string{data + "/dbaas.conf": sum}},
		},
		"BackendByCwd": {
			reason: "A process that names no directory but works in the data directory belongs to it, as belongsTo says.",
			out:    "initialized\nstandby\npid 42\narg postgres: startup\ncwd " + data + "/base\nend\n",
			want:   Look{Answered: true, Initialized: true, Standby: true, Status: Status{Running: true}, Sums: map[string]string{}},
		},
		"PIDOfAnotherProcess": {
			reason: "A pid file that names a process of another directory, or a zombie, is a server that does not run.",
			out:    "initialized\npid 42\narg sleep\narg 60\ncwd /\nend\n",
			want:   Look{Answered: true, Initialized: true, Sums: map[string]string{}},
		},
		"SiblingDirectory": {
			reason: "A data directory whose name starts like this one is another directory.",
			out:    "initialized\npid 42\narg -D\narg " + data + "2\ncwd " + data + "2\nend\n",
			want:   Look{Answered: true, Initialized: true, Sums: map[string]string{}},
		},
		"Zombie": {
			reason: "A zombie has no arguments and no working directory.",
			out:    "initialized\npid 42\ncwd \nend\n",
			want:   Look{Answered: true, Initialized: true, Sums: map[string]string{}},
		},
		"Fenced": {
			reason: "The fence marker's epoch is read; one that is no number still fences, at 0.",
			out:    "initialized\nstandby\nfenced 7\nend\n",
			want:   Look{Answered: true, Initialized: true, Standby: true, Fenced: true, FenceEpoch: 7, Sums: map[string]string{}},
		},
		"FencedUnreadable": {
			reason: "A fence marker whose epoch cannot be read fences at epoch 0.",
			out:    "initialized\nfenced \nend\n",
			want:   Look{Answered: true, Initialized: true, Fenced: true, Sums: map[string]string{}},
		},
		"MalformedSum": {
			reason: "A checksum line that is not sha256sum's is left out, so the file counts as not current.",
			out:    "initialized\nsum xyz  " + data + "/dbaas.conf\nend\n",
			want:   Look{Answered: true, Initialized: true, Sums: map[string]string{}},
		},
		"CutShort": {
			reason: "Output without its last line says nothing about what it left out: an error, not a member without markers.",
			out:    "initialized\n",
			err:    true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseLook(tc.out, data)
			if (err != nil) != tc.err {
				t.Fatalf("%s\nparseLook(...): error %v, want error %v", tc.reason, err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nparseLook(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestLookAndFenceScripts runs the look's and the fence's scripts in a
// real shell on a member's directory with real markers and a real process
// in its data directory (a sleep standing for a postmaster): what the
// scripts print is what parseLook reads, and the fence writes its markers
// once, as the engine user, and keeps its first epoch. No PostgreSQL runs.
func TestLookAndFenceScripts(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(testenv.SharedDir(t), "pg")
	i := NewInstance(executor.Local{}, filepath.Dir(dir), filepath.Base(dir), "15", 5432, "admin")
	i.Dir = dir
	if err := os.MkdirAll(i.DataDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	// The engine user writes standby.signal in the data directory, as it
	// does in a real one.
	if err := i.mkdir(ctx, "data directory", i.DataDir(), 0o700, true); err != nil {
		t.Fatal(err)
	}
	look := func(also string) Look {
		t.Helper()
		res, err := i.shell(ctx, "look", lookScript(i.Dir, i.DataDir(), i.configPaths(), also))
		if err != nil {
			t.Fatal(err)
		}
		l, err := parseLook(res.Stdout, i.DataDir())
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	if got := look("exit 0"); got.Initialized || got.Also || got.Running {
		t.Errorf("empty directory: want nothing, and also not run on an uninitialized member, got %+v", got)
	}

	if err := os.WriteFile(filepath.Join(dir, markerFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	conf := []byte("port = 5432\n")
	if err := os.WriteFile(filepath.Join(i.DataDir(), confFile), conf, 0o600); err != nil {
		t.Fatal(err)
	}
	sleep := exec.Command("sleep", "600")
	sleep.Dir = i.DataDir()
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sleep.Process.Kill(); _ = sleep.Wait() })
	if err := os.WriteFile(i.pidFile(), []byte(strconv.Itoa(sleep.Process.Pid)+"\n"+i.DataDir()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := look("exit 0")
	want := Look{Answered: true, Initialized: true, Also: true, Status: Status{Running: true},
		Sums: map[string]string{filepath.Join(i.DataDir(), confFile): checksum(conf)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("initialized member with a process in its data directory: -want, +got:\n%s", diff)
	}
	if got := look("exit 3"); got.Also {
		t.Error("also that exits 3: want Also false")
	}

	// The fence writes its marker and standby.signal and reports the
	// process; a second fence keeps the first epoch.
	for _, epoch := range []int64{4, 5} {
		res, err := i.shell(ctx, "fence", fenceScript(i.Dir, i.DataDir(), epoch))
		if err != nil {
			t.Fatalf("fence at %d: %v", epoch, err)
		}
		if l, err := parseLook(res.Stdout, i.DataDir()); err != nil || !l.Running {
			t.Errorf("fence at %d: want the running process reported, got %+v, %v", epoch, l, err)
		}
	}
	got = look("")
	if !got.Fenced || got.FenceEpoch != 4 || !got.Standby {
		t.Errorf("after two fences: want fenced at 4 and a standby, got %+v", got)
	}
	if e, fenced, err := i.Fenced(ctx); err != nil || !fenced || e != 4 {
		t.Errorf("Fenced: want 4, got %d %v %v", e, fenced, err)
	}
	if st, err := os.Stat(filepath.Join(i.DataDir(), standbySignal)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("standby.signal: want mode 0600, got %v, %v", st, err)
	}

	// The process gone, the look finds no server, and Fence has none to
	// stop: its one command is all it runs.
	_ = sleep.Process.Kill()
	_ = sleep.Wait()
	if got := look(""); got.Running {
		t.Error("process gone: want Running false")
	}
	if err := i.Fence(ctx, 6); err != nil {
		t.Errorf("Fence with no server: %v", err)
	}
}
