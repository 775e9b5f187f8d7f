package sqlserver

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
)

const saPassword = `Str0ng'P@ss $(reboot) "x"`

func validOptions() Options {
	return Options{UbuntuRelease: "22.04", Edition: "Developer", SAPassword: saPassword}
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
	want := []string{
		"Add Microsoft apt signing key",
		"Add SQL Server 2022 and tools apt repositories",
		"Install mssql-server",
		"Install mssql-tools18",
		"Set up SQL Server",
		"Enable Always On availability groups",
		"Enable and start mssql-server",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Plan(...) step names: -want, +got:\n%s", diff)
	}
	wantFiles := []File{
		{Path: "/etc/apt/sources.list.d/mssql-server-2022.list", Mode: 0o644,
			Content: "deb [arch=amd64 signed-by=/usr/share/keyrings/microsoft-prod.gpg] https://packages.microsoft.com/ubuntu/22.04/mssql-server-2022 jammy main\n"},
		{Path: "/etc/apt/sources.list.d/prod.list", Mode: 0o644,
			Content: "deb [arch=amd64 signed-by=/usr/share/keyrings/microsoft-prod.gpg] https://packages.microsoft.com/ubuntu/22.04/prod jammy main\n"},
	}
	if diff := cmp.Diff(wantFiles, steps[1].Files); diff != "" {
		t.Errorf("repository files: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff("/opt/mssql/bin/mssql-conf set hadr.hadrenabled 1 && systemctl restart mssql-server", steps[5].Apply); diff != "" {
		t.Errorf("HADR step: -want, +got:\n%s", diff)
	}
}

// TestPlanPasswordOnlyOnStdin checks that the SA password reaches the setup
// step's stdin and nothing else: no name, command or file, and nothing fmt
// prints of a step.
func TestPlanPasswordOnlyOnStdin(t *testing.T) {
	steps, err := Plan(validOptions())
	if err != nil {
		t.Fatal(err)
	}
	onStdin := 0
	for _, s := range steps {
		texts := map[string]string{
			"name": s.Name, "check": s.Check, "apply": s.Apply,
			"%v": fmt.Sprintf("%v", s), "%+v": fmt.Sprintf("%+v", s), "%#v": fmt.Sprintf("%#v", s),
			"%q": fmt.Sprintf("%q", s.Stdin), "%s": fmt.Sprintf("%s", s.Stdin),
		}
		for _, f := range s.Files {
			texts["file "+f.Path] = f.Content
		}
		for what, text := range texts {
			if strings.Contains(text, saPassword) {
				t.Errorf("step %q: its %s holds the SA password", s.Name, what)
			}
		}
		if string(s.Stdin) == saPassword {
			onStdin++
		}
	}
	if onStdin != 1 {
		t.Errorf("%d steps get the SA password on stdin, want 1", onStdin)
	}
}

// TestSetupEnvironment runs the setup step in a real shell with mssql-conf
// replaced by a script that prints its environment, and checks that
// mssql-conf gets the password, edition and EULA from the environment.
func TestSetupEnvironment(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on this machine")
	}
	o := validOptions()
	o.Edition = "ABCDE-12345-FGHIJ-67890-KLMNO"
	steps, err := Plan(o)
	if err != nil {
		t.Fatal(err)
	}
	s := steps[4]
	fake := strings.Replace(s.Apply, mssqlConf,
		`sh -c 'printf "%s|%s|%s|%s" "$MSSQL_SA_PASSWORD" "$MSSQL_PID" "$ACCEPT_EULA" "$*"' mssql-conf`, 1)
	cmd := exec.Command(sh, "-c", fake)
	cmd.Stdin = strings.NewReader(string(s.Stdin))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", fake, err)
	}
	want := saPassword + "|ABCDE-12345-FGHIJ-67890-KLMNO|Y|-n setup"
	if diff := cmp.Diff(want, string(out)); diff != "" {
		t.Errorf("mssql-conf saw: -want, +got:\n%s", diff)
	}
}

func TestPlanErrors(t *testing.T) {
	cases := map[string]struct {
		reason string
		mod    func(*Options)
		want   error
	}{
		"Release":      {reason: "Only releases Microsoft publishes for.", mod: func(o *Options) { o.UbuntuRelease = "24.10" }, want: errors.Errorf(errRelease, "24.10")},
		"Edition":      {reason: "An unknown edition.", mod: func(o *Options) { o.Edition = "Developer'; id" }, want: errors.New(errEdition)},
		"ShortPwd":     {reason: "SQL Server refuses short SA passwords.", mod: func(o *Options) { o.SAPassword = "short" }, want: errors.New(errPassword)},
		"NewlineInPwd": {reason: "A line break would be cut from stdin.", mod: func(o *Options) { o.SAPassword = "Passw0rd!\n" }, want: errors.New(errPassword)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := validOptions()
			tc.mod(&o)
			_, err := Plan(o)
			if diff := cmp.Diff(tc.want, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nPlan(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if err != nil && strings.Contains(err.Error(), o.SAPassword) {
				t.Errorf("%s\nthe error holds the password", tc.reason)
			}
		})
	}
}
