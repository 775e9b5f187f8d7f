package plugin

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var ansiCodes = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestTableRender(t *testing.T) {
	tbl := table{header: []string{"RESOURCE", "READY", "MESSAGE"}}
	tbl.add(cell{text: "├─ VirtualMachine/a"}, cell{text: "True", style: good}, cell{text: ""})
	tbl.add(cell{text: "└─ DatabaseInstance/a"}, cell{text: "False", style: bad}, cell{text: "member a-1 is down"})
	want := "" +
		"RESOURCE                READY   MESSAGE\n" +
		"├─ VirtualMachine/a     True\n" +
		"└─ DatabaseInstance/a   False   member a-1 is down\n"

	cases := map[string]struct {
		reason string
		p      painter
		codes  []string
	}{
		"Plain": {reason: "Output that is not a terminal has no colour codes.", p: painter{}},
		"Terminal": {
			reason: "On a terminal True is green and False red, and the columns line up as without colour: widths count the text alone.",
			p:      painter{on: true},
			codes:  []string{"\x1b[32mTrue\x1b[0m", "\x1b[31mFalse\x1b[0m"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tbl.render(&b, tc.p); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, ansiCodes.ReplaceAllString(b.String(), "")); diff != "" {
				t.Errorf("%s\nrender(...) without its colour codes: -want, +got:\n%s", tc.reason, diff)
			}
			for _, c := range tc.codes {
				if !strings.Contains(b.String(), c) {
					t.Errorf("%s\nrender(...) lacks %q:\n%q", tc.reason, c, b.String())
				}
			}
			if len(tc.codes) == 0 && ansiCodes.MatchString(b.String()) {
				t.Errorf("%s\nrender(...) has colour codes:\n%q", tc.reason, b.String())
			}
		})
	}
}

func TestColourFor(t *testing.T) {
	if colourFor(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal: want no colour")
	}
	t.Setenv("NO_COLOR", "1")
	if colourFor(nil) {
		t.Error("NO_COLOR set: want no colour")
	}
}
