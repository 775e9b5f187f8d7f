package mongodb

import (
	"os/exec"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var hostile = map[string]string{
	"Empty":        "",
	"Plain":        "rs0",
	"Space":        "a b",
	"SingleQuote":  "it's",
	"OnlyQuotes":   "''",
	"Substitution": "$(touch /tmp/pwned)",
	"Backquote":    "`id`",
	"Variable":     "$HOME ${PATH}",
	"Newline":      "a\nrm -rf /",
	"Semicolon":    "x'; rm -rf / #",
	"Backslash":    `a\'b\`,
	"Glob":         "*?[a]",
}

func TestShellQuote(t *testing.T) {
	cases := map[string]struct {
		in   string
		want string
	}{
		"Empty":       {in: "", want: "''"},
		"Plain":       {in: "rs0", want: "'rs0'"},
		"SingleQuote": {in: "it's", want: `'it'\''s'`},
		"Subst":       {in: "$(id)", want: "'$(id)'"},
		"Newline":     {in: "a\nb", want: "'a\nb'"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, shellQuote(tc.in)); diff != "" {
				t.Errorf("shellQuote(%q): -want, +got:\n%s", tc.in, diff)
			}
		})
	}
}

// TestShellQuoteRoundTrip hands each quoted value to a real shell and checks
// that the shell sees exactly the original value as one argument.
func TestShellQuoteRoundTrip(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on this machine")
	}
	for name, in := range hostile {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(sh, "-c", "printf '%s|%s' "+shellQuote(in)+" end").Output()
			if err != nil {
				t.Fatalf("sh: %v", err)
			}
			if diff := cmp.Diff(in+"|end", string(out)); diff != "" {
				t.Errorf("the shell saw another value: -want, +got:\n%s", diff)
			}
		})
	}
}
