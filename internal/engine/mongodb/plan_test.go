package mongodb

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
)

const testKey = "c2VjcmV0LWtleWZpbGUtY29udGVudC0xMjM0NTY3ODkw"

func validOptions() Options {
	return Options{
		OS:      OS{Distribution: "ubuntu", Codename: "jammy"},
		Version: "7.0",
		Config:  validConfig(),
		KeyFile: testKey,
	}
}

func TestPlanOrder(t *testing.T) {
	steps, err := Plan(validOptions())
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, 0, len(steps))
	for _, s := range steps {
		got = append(got, s.Name)
	}
	// The repository before the package, the package (which creates the
	// mongodb user) before anything it owns, and the files before the start.
	want := []string{
		"Add MongoDB 7.0 apt signing key",
		"Add MongoDB 7.0 apt repository",
		"Install mongodb-org 7.0",
		"Create the data directory",
		"Write the replica set keyfile",
		"Write /etc/mongod.conf",
		"Enable and start mongod",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Plan(...) step names: -want, +got:\n%s", diff)
	}
}

func TestPlanRepository(t *testing.T) {
	cases := map[string]struct {
		os   OS
		want File
	}{
		"Ubuntu": {
			os: OS{Distribution: "ubuntu", Codename: "jammy"},
			want: File{Path: "/etc/apt/sources.list.d/mongodb-org-7.0.list", Mode: 0o644,
				Content: "deb [ signed-by=/usr/share/keyrings/mongodb-server-7.0.gpg ] https://repo.mongodb.org/apt/ubuntu jammy/mongodb-org/7.0 multiverse\n"},
		},
		"Debian": {
			os: OS{Distribution: "debian", Codename: "bookworm"},
			want: File{Path: "/etc/apt/sources.list.d/mongodb-org-7.0.list", Mode: 0o644,
				Content: "deb [ signed-by=/usr/share/keyrings/mongodb-server-7.0.gpg ] https://repo.mongodb.org/apt/debian bookworm/mongodb-org/7.0 main\n"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := validOptions()
			o.OS = tc.os
			steps, err := Plan(o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]File{tc.want}, steps[1].Files); diff != "" {
				t.Errorf("repository file: -want, +got:\n%s", diff)
			}
			if !strings.Contains(steps[0].Apply, "curl -fsSL -o \"$tmp\" https://www.mongodb.org/static/pgp/server-7.0.asc") {
				t.Errorf("the key step does not fetch the 7.0 key: %s", steps[0].Apply)
			}
		})
	}
}

func TestPlanInstallPinsSeries(t *testing.T) {
	o := validOptions()
	o.Version = "8.0"
	steps, err := Plan(o)
	if err != nil {
		t.Fatal(err)
	}
	want := `dpkg-query -W -f='${Status} ${Version}' mongodb-org 2>/dev/null | grep -q '^install ok installed 8\.0\.'`
	if diff := cmp.Diff(want, steps[2].Check); diff != "" {
		t.Errorf("install check: -want, +got:\n%s", diff)
	}
}

func TestPlanFiles(t *testing.T) {
	steps, err := Plan(validOptions())
	if err != nil {
		t.Fatal(err)
	}
	conf, err := Render(validConfig())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]File{
		"Write the replica set keyfile": {{Path: "/etc/mongod.keyfile", Content: testKey, Mode: 0o400}},
		"Write /etc/mongod.conf":        {{Path: ConfigPath, Content: conf, Mode: 0o644}},
	}
	for _, s := range steps {
		if w, ok := want[s.Name]; ok {
			if diff := cmp.Diff(w, s.Files); diff != "" {
				t.Errorf("%s: files: -want, +got:\n%s", s.Name, diff)
			}
		}
	}
}

// TestPlanKeyFileStaysSecret checks that the keyfile's content reaches only
// its file: not a name, not a command, not what fmt prints of a step.
func TestPlanKeyFileStaysSecret(t *testing.T) {
	steps, err := Plan(validOptions())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range steps {
		for what, text := range map[string]string{
			"name": s.Name, "check": s.Check, "apply": s.Apply,
			"%v": fmt.Sprintf("%v", s), "%+v": fmt.Sprintf("%+v", s), "%#v": fmt.Sprintf("%#v", s),
		} {
			if strings.Contains(text, testKey) {
				t.Errorf("step %q: its %s holds the keyfile's content", s.Name, what)
			}
		}
		for _, f := range s.Files {
			if f.Content == testKey {
				found = true
				if f.Mode != 0o400 {
					t.Errorf("the keyfile is written with mode %#o, not 0400", f.Mode)
				}
			}
		}
	}
	if !found {
		t.Error("no step writes the keyfile")
	}
}

// TestPlanHostilePaths runs the commands that use the data and keyfile
// paths in a real shell, with the tools they call replaced by functions
// that print their arguments, and checks that each tool gets the path as
// one unchanged argument and nothing else runs.
func TestPlanHostilePaths(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on this machine")
	}
	// Each stub prints to stderr, which no command substitution captures.
	stubs := `for f in stat install chown chmod systemctl touch id rm; do eval "$f() { { printf '%s' $f; printf '<%s>' \"\$@\"; echo; } >&2; }"; done; `
	paths := map[string]string{
		"Quote":        "/data/it's",
		"Substitution": "/data/$(touch pwned)",
		"Backquote":    "/data/`id`",
		"Newline":      "/data/a\nrm -rf x",
		"Semicolon":    "/data/x'; rm -rf x; echo '",
	}
	for name, p := range paths {
		t.Run(name, func(t *testing.T) {
			o := validOptions()
			o.Config.DBPath = p
			o.Config.KeyFile = p + ".key"
			steps, err := Plan(o)
			if err != nil {
				t.Fatal(err)
			}
			run := func(cmd string) string {
				var stderr strings.Builder
				c := exec.Command(sh, "-c", stubs+cmd)
				c.Stderr = &stderr
				// A Check exits 1 here, as the stubbed stat prints no owner;
				// what counts is what ran.
				_ = c.Run()
				return stderr.String()
			}
			cases := []struct {
				cmd, want string
			}{
				{steps[3].Check, "stat<-c><%U:%G:%a><" + p + ">\n"},
				{steps[3].Apply, "install<-d><-o><mongodb><-g><mongodb><-m><0750><" + p + ">\n"},
				{steps[4].Check, "stat<-c><%U:%G:%a><" + p + ".key>\n"},
				{steps[4].Apply, "chown<mongodb:mongodb><" + p + ".key>\nchmod<0400><" + p + ".key>\nsystemctl<try-restart><mongod>\n"},
			}
			for _, c := range cases {
				got := run(c.cmd)
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("%q ran: -want, +got:\n%s", c.cmd, diff)
				}
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	cases := map[string]struct {
		reason string
		mod    func(*Options)
		want   error
	}{
		"Distribution": {
			reason: "MongoDB's apt repository serves only Debian and Ubuntu.",
			mod:    func(o *Options) { o.OS.Distribution = "fedora" },
			want:   errors.Errorf(errDistribution, "fedora"),
		},
		"Codename": {
			reason: "The codename lands in the repository line.",
			mod:    func(o *Options) { o.OS.Codename = "jammy main\ndeb http://evil" },
			want:   errors.Errorf(errCodename, "jammy main\ndeb http://evil"),
		},
		"Version": {
			reason: "Only a release series pins the repository.",
			mod:    func(o *Options) { o.Version = "7.0.1'" },
			want:   errors.Errorf(errVersion, "7.0.1'"),
		},
		"ShortKey": {
			reason: "mongod refuses keys under 6 characters.",
			mod:    func(o *Options) { o.KeyFile = "abc" },
			want:   errors.New(errKeyFile),
		},
		"KeyChars": {
			reason: "mongod refuses characters outside base64.",
			mod:    func(o *Options) { o.KeyFile = "abcdef$(id)" },
			want:   errors.New(errKeyFile),
		},
		"Config": {
			reason: "An invalid config fails the plan.",
			mod:    func(o *Options) { o.Config.Port = -1 },
			want:   errors.Wrap(errors.Errorf(errPort, -1), errConfig),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := validOptions()
			tc.mod(&o)
			_, err := Plan(o)
			if diff := cmp.Diff(tc.want, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nPlan(...): -want error, +got error:\n%s", tc.reason, diff)
			}
		})
	}
}
