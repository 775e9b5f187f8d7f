package safepath

import "testing"

func TestJoin(t *testing.T) {
	cases := map[string]struct {
		parts   []string
		want    string
		wantErr bool
	}{
		"Plain":           {parts: []string{"team-a", "db-0"}, want: "/m/team-a/db-0"},
		"Dotted":          {parts: []string{"team-a", "db.orders"}, want: "/m/team-a/db.orders"},
		"Parent":          {parts: []string{"team-a", ".."}, wantErr: true},
		"ParentOfParents": {parts: []string{"team-a", "../../.."}, wantErr: true},
		"OtherNamespace":  {parts: []string{"team-a", "../team-b/vm"}, wantErr: true},
		"Slash":           {parts: []string{"team-a", "a/b"}, wantErr: true},
		"Absolute":        {parts: []string{"/etc"}, wantErr: true},
		"Dot":             {parts: []string{"."}, wantErr: true},
		"Empty":           {parts: []string{""}, wantErr: true},
		"Upper":           {parts: []string{"DB"}, wantErr: true},
		"NUL":             {parts: []string{"a\x00b"}, wantErr: true},
		"LeadingDot":      {parts: []string{".rules"}, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Join("/m", tc.parts...)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("Join(/m, %q) = %q, %v; want %q, error %v", tc.parts, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestUnder(t *testing.T) {
	cases := map[string]struct {
		path    string
		wantErr bool
	}{
		"Base":      {path: "/m"},
		"Below":     {path: "/m/a/b"},
		"Cleaned":   {path: "/m/a/../b"},
		"Escapes":   {path: "/m/../etc", wantErr: true},
		"Sibling":   {path: "/mm", wantErr: true},
		"Elsewhere": {path: "/etc/passwd", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Under("/m", tc.path); (err != nil) != tc.wantErr {
				t.Errorf("Under(/m, %q): error %v, want error %v", tc.path, err, tc.wantErr)
			}
		})
	}
}
