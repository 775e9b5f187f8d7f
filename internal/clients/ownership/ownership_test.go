package ownership

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	cases := map[string]struct {
		text   string
		want   Owner
		wantOK bool
	}{
		"Marker":         {text: Owner{"team-a", "0f1e2d3c-aaaa-bbbb-cccc-0123456789ab"}.Marker(), want: Owner{"team-a", "0f1e2d3c-aaaa-bbbb-cccc-0123456789ab"}, wantOK: true},
		"InsideComment":  {text: "orders of team a; dbaas.io/owner=team-a/abc-1 (do not edit)", want: Owner{"team-a", "abc-1"}, wantOK: true},
		"NoMarker":       {text: "the DBAs' reporting database"},
		"Empty":          {},
		"BadNamespace":   {text: "dbaas.io/owner=Team_A/abc"},
		"OtherToolsNote": {text: "owner=team-a/abc"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := Parse(tc.text)
			if ok != tc.wantOK || got != tc.want {
				t.Errorf("Parse(%q) = %v, %v; want %v, %v", tc.text, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestLabels(t *testing.T) {
	o := Owner{"team-a", "abc"}
	got, ok := FromLabels(o.Labels())
	if !ok || got != o {
		t.Errorf("FromLabels(Labels()) = %v, %v; want %v", got, ok, o)
	}
	if _, ok := FromLabels(map[string]string{LabelNamespace: "team-a"}); ok {
		t.Error("FromLabels without a UID: want no owner")
	}
}

func TestCheck(t *testing.T) {
	me := Owner{"team-a", "uid-1"}
	other := Owner{"team-b", "uid-2"}
	sameNSOther := Owner{"team-a", "uid-3"}
	cases := map[string]struct {
		found         *Owner
		wantsImport   bool
		importAllowed bool
		want          *NotOwnedError
	}{
		"Mine":                       {found: &me},
		"NoMarker":                   {want: &NotOwnedError{What: "role x"}},
		"OtherNamespace":             {found: &other, want: &NotOwnedError{What: "role x", Found: &other}},
		"SameNamespaceOtherResource": {found: &sameNSOther, want: &NotOwnedError{What: "role x", Found: &sameNSOther}},
		"ImportAllowed":              {wantsImport: true, importAllowed: true},
		"ImportOfOthersAllowed":      {found: &other, wantsImport: true, importAllowed: true},
		"ImportRefused":              {wantsImport: true, want: &NotOwnedError{What: "role x", ImportRefused: true}},
		"ImportOfOthersRefused":      {found: &other, wantsImport: true, want: &NotOwnedError{What: "role x", Found: &other, ImportRefused: true}},
		"AllowedButNotAsked":         {importAllowed: true, want: &NotOwnedError{What: "role x"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := Check("role x", me, tc.found, tc.wantsImport, tc.importAllowed)
			var got *NotOwnedError
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("Check: %v is not a NotOwnedError", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Check: -want +got:\n%s", diff)
			}
			if err != nil && err.Error() == "" {
				t.Error("empty message")
			}
		})
	}
}

func TestWants(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "True": true, "": false, "yes": false, "false": false} {
		if got := Wants(map[string]string{ImportAnnotation: v}); got != want {
			t.Errorf("Wants(%q) = %v, want %v", v, got, want)
		}
	}
}
