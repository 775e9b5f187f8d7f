package sqlserver

import (
	"os/exec"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestShellQuote hands each quoted value to a real shell and checks that the
// shell sees exactly the original value as one argument.
func TestShellQuote(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on this machine")
	}
	cases := map[string]struct {
		in, quoted string
	}{
		"Empty":        {in: "", quoted: "''"},
		"Plain":        {in: "Developer", quoted: "'Developer'"},
		"SingleQuote":  {in: "it's", quoted: `'it'\''s'`},
		"Substitution": {in: "$(touch /tmp/pwned)", quoted: "'$(touch /tmp/pwned)'"},
		"Backquote":    {in: "`id`", quoted: "'`id`'"},
		"Newline":      {in: "a\nrm -rf /", quoted: "'a\nrm -rf /'"},
		"Semicolon":    {in: "x'; rm -rf / #", quoted: `'x'\''; rm -rf / #'`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			q := shellQuote(tc.in)
			if diff := cmp.Diff(tc.quoted, q); diff != "" {
				t.Errorf("shellQuote(%q): -want, +got:\n%s", tc.in, diff)
			}
			out, err := exec.Command(sh, "-c", "printf '%s|%s' "+q+" end").Output()
			if err != nil {
				t.Fatalf("sh: %v", err)
			}
			if diff := cmp.Diff(tc.in+"|end", string(out)); diff != "" {
				t.Errorf("the shell saw another value: -want, +got:\n%s", diff)
			}
		})
	}
}
