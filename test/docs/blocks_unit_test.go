package docs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseBlocks(t *testing.T) {
	md := strings.Join([]string{
		"# A guide",
		"",
		"```sh",
		"kubectl apply -f a.yaml   # a comment",
		"# a whole-line comment",
		"",
		`make \`,
		"  package",
		"```",
		"",
		"<!-- not run: needs a real cluster -->",
		"```yaml",
		"kind: X",
		"```",
		"<!-- a comment far from a block -->",
		"",
		"text between",
		"",
		"```",
		"$ kubectl dbaas list",
		"NAME",
		"```",
		"```",
		"an error message",
		"```",
	}, "\n")
	got := parseBlocks("g.md", []byte(md))
	type summary struct {
		Line     int
		Lang     string
		Marker   string
		Console  bool
		Commands []string
	}
	var sums []summary
	for _, b := range got {
		sums = append(sums, summary{b.line, b.lang, b.marker, b.isConsole(), b.commands()})
	}
	want := []summary{
		{3, "sh", "", false, []string{"kubectl apply -f a.yaml", "make package"}},
		{12, "yaml", "not run: needs a real cluster", false, []string{"kind: X"}},
		{19, "", "", true, []string{"kubectl dbaas list"}},
		{23, "", "", false, []string{"an error message"}},
	}
	if diff := cmp.Diff(want, sums); diff != "" {
		t.Errorf("parseBlocks (-want, +got):\n%s", diff)
	}
	if got[2].text != "$ kubectl dbaas list\nNAME\n" {
		t.Errorf("a console block's text is %q, want its lines as they are", got[2].text)
	}
}

func TestContainsIndented(t *testing.T) {
	file := []string{"spec:", "  pipeline:", "    input:", "      kind: Input", "      catalog:", "        x: y", "other: 1"}
	cases := map[string]struct {
		reason string
		frag   []string
		want   bool
	}{
		"Shifted": {
			reason: "A fragment may be shown with less indentation than in its file",
			frag:   []string{"input:", "  kind: Input", "  catalog:", "    x: y"},
			want:   true,
		},
		"AsItIs": {
			reason: "A fragment with its file's indentation is part of it",
			frag:   []string{"    input:", "      kind: Input"},
			want:   true,
		},
		"Reindented": {
			reason: "A line indented otherwise than in the file changes the YAML's meaning",
			frag:   []string{"input:", "kind: Input"},
			want:   false,
		},
		"Changed": {
			reason: "A changed value is not part of the file",
			frag:   []string{"input:", "  kind: Output"},
			want:   false,
		},
		"OutOfOrder": {
			reason: "Lines of the file in another order are not part of it",
			frag:   []string{"catalog:", "kind: Input"},
			want:   false,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := containsIndented(file, tc.frag); got != tc.want {
				t.Errorf("%s\ncontainsIndented(%q) = %v, want %v", tc.reason, tc.frag, got, tc.want)
			}
		})
	}
}
