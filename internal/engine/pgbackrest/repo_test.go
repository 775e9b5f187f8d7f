package pgbackrest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRenderRepo(t *testing.T) {
	cases := map[string]struct {
		reason   string
		repo     Repo
		log      string
		want     []string
		wantErr  bool
		notInOut []string
	}{
		"S3": {
			reason:   "The repository's options and the given directories, and nothing of a stanza or a server.",
			repo:     Repo{Type: RepoS3, Path: "/p", S3: &S3{Endpoint: "127.0.0.1", Port: 7070, Bucket: "backups", Region: "r", URIStyle: "path", AccessKey: "ak", SecretKey: "sk", CAFile: "/tmp/x/ca.crt"}},
			log:      "/tmp/x/log",
			want:     []string{"repo1-type=s3", "repo1-s3-bucket=backups", "repo1-s3-key=ak", "log-path=/tmp/x/log", "lock-path=/tmp/x/lock", "log-level-file=off"},
			notInOut: []string{"pg1-path", "["},
		},
		"RelativeLogPath": {reason: "Directories must be absolute.", repo: Repo{Type: RepoPosix, Path: "/r"}, log: "log", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := RenderRepo(tc.repo, tc.log, "/tmp/x/lock")
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nRenderRepo(...): error %v, want error %t", tc.reason, err, tc.wantErr)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w+"\n") {
					t.Errorf("%s\nRenderRepo(...) lacks %q:\n%s", tc.reason, w, got)
				}
			}
			body := strings.TrimPrefix(got, strings.SplitN(got, "\n", 3)[0]+"\n[global]\n")
			for _, n := range tc.notInOut {
				if strings.Contains(body, n) {
					t.Errorf("%s\nRenderRepo(...) holds %q:\n%s", tc.reason, n, got)
				}
			}
		})
	}
}

func TestParseRepoInfo(t *testing.T) {
	got, err := ParseRepoInfo([]byte(infoOutput))
	if err != nil {
		t.Fatalf("ParseRepoInfo(...): %v", err)
	}
	// The backups' repository deltas: 4000000 and 8000.
	want := RepoInfo{Stanzas: []string{"ns-db", "other"}, BytesUsed: 4008000}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseRepoInfo(...): -want, +got:\n%s", diff)
	}
	if _, err := ParseRepoInfo([]byte("ERROR: [039]: HTTP request failed")); err == nil {
		t.Error("ParseRepoInfo(not JSON): no error")
	}
	// pgBackRest 2.45 exits 0 for a store it cannot reach, and says so in
	// an entry named [invalid].
	const unreachable = `[{"archive":[],"backup":[],"cipher":"none","db":[],"name":"[invalid]","repo":[{"cipher":"none","key":1,` +
		`"status":{"code":99,"message":"[HostConnectError] unable to connect to '127.0.0.1:1': [111] Connection refused"}}],` +
		`"status":{"code":99,"lock":{"backup":{"held":false}},"message":"other"}}]`
	_, err = ParseRepoInfo([]byte(unreachable))
	if err == nil || !strings.Contains(err.Error(), "Connection refused") {
		t.Errorf("ParseRepoInfo(unreachable store): error %v, want pgBackRest's message", err)
	}
}

func TestParseRun(t *testing.T) {
	cases := map[string]struct {
		reason  string
		report  string
		want    Run
		wantErr bool
	}{
		"None":    {reason: "No pid file: never started here.", report: "none\n", want: Run{State: RunNone}},
		"Running": {reason: "A live process whose command line is the run's.", report: "running\n", want: Run{State: RunRunning}},
		"Gone":    {reason: "A pid file without an exit code and without the process.", report: "gone\nWARN: x\n", want: Run{State: RunGone, Output: "WARN: x"}},
		"LockHeld": {
			reason: "The exit code and the output's end.",
			report: "exit 50\nERROR: [050]: unable to acquire lock on file '/l/s-backup.lock': Resource temporarily unavailable\n",
			want:   Run{State: RunExited, ExitCode: ExitLockHeld, Output: "ERROR: [050]: unable to acquire lock on file '/l/s-backup.lock': Resource temporarily unavailable"},
		},
		"Garbage": {reason: "Anything else is an error.", report: "what\n", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseRun(tc.report)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nparseRun(...): error %v, want error %t", tc.reason, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nparseRun(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestErrorLines(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"WarningsBeforeError": {
			in:   "WARN: option 'repo1-retention-full' is not set\n      HINT: set it\nERROR: [039]: HTTP request failed with 403 (Forbidden)\n",
			want: "ERROR: [039]: HTTP request failed with 403 (Forbidden)",
		},
		"NoError": {in: "WARN: odd\n", want: "WARN: odd"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := ErrorLines(tc.in); got != tc.want {
				t.Errorf("ErrorLines(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
