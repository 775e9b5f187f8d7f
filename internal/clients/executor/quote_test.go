package executor

import (
	"context"
	"testing"
)

func TestShellQuote(t *testing.T) {
	cases := map[string]struct {
		in   string
		want string
	}{
		"Empty":           {in: "", want: "''"},
		"Plain":           {in: "/var/lib/postgresql", want: "/var/lib/postgresql"},
		"Flag":            {in: "--system", want: "--system"},
		"Space":           {in: "a b", want: "'a b'"},
		"SingleQuote":     {in: "it's", want: `'it'\''s'`},
		"OnlyQuote":       {in: "'", want: `''\'''`},
		"Variable":        {in: "$HOME", want: "'$HOME'"},
		"Substitution":    {in: "$(reboot)", want: "'$(reboot)'"},
		"Backticks":       {in: "`reboot`", want: "'`reboot`'"},
		"Semicolon":       {in: "x; rm -rf /", want: "'x; rm -rf /'"},
		"Glob":            {in: "*", want: "'*'"},
		"Assignment":      {in: "A=b", want: "'A=b'"},
		"Tilde":           {in: "~root", want: "'~root'"},
		"Newline":         {in: "a\nb", want: "'a\nb'"},
		"DpkgQueryFormat": {in: "${Status}", want: "'${Status}'"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := ShellQuote(tc.in); got != tc.want {
				t.Errorf("ShellQuote(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

// TestShellQuoteRoundTrip shows the shell reads each quoted word back as
// exactly the original string, which is what quoting is for.
func TestShellQuoteRoundTrip(t *testing.T) {
	words := []string{"", "plain", "a b", "it's", "''", `\`, `"$HOME"`, "$(id)", "`id`", "a\nb", "*", "~", "x;y|z&w", "-n", "A=b"}
	for _, w := range words {
		res, err := Local{}.Run(context.Background(), "printf %s "+ShellQuote(w), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Stdout != w || res.ExitCode != 0 {
			t.Errorf("the shell read %s as %q (exit %d), want %q", ShellQuote(w), res.Stdout, res.ExitCode, w)
		}
	}
}

func TestShellCommand(t *testing.T) {
	got := ShellCommand("useradd", "--home-dir", "/var/lib/my db", "it's")
	want := `useradd --home-dir '/var/lib/my db' 'it'\''s'`
	if got != want {
		t.Errorf("ShellCommand() = %s, want %s", got, want)
	}
}

func TestRemoteCommand(t *testing.T) {
	cases := map[string]struct {
		cmd  string
		sudo bool
		want string
	}{
		"Plain":  {cmd: "id -u", want: `exec sh -c 'id -u'`},
		"Sudo":   {cmd: "id -u", sudo: true, want: `exec sudo -n -- sh -c 'id -u'`},
		"Quoted": {cmd: `echo 'a b'`, sudo: true, want: `exec sudo -n -- sh -c 'echo '\''a b'\'''`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := remoteCommand(tc.cmd, tc.sudo); got != tc.want {
				t.Errorf("remoteCommand(%q, %v) = %s, want %s", tc.cmd, tc.sudo, got, tc.want)
			}
		})
	}
}
