package proccpu

import (
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	cases := map[string]struct {
		reason string
		line   string
		want   Stat
		wantOK bool
	}{
		"Postmaster": {
			reason: "ppid is field 4, utime+stime fields 14-15 and cutime+cstime 16-17, in ticks of 10ms",
			line:   "4242 (postgres) S 1 4242 4242 0 -1 4194560 1234 5678 0 0 150 25 300 40 20 0 1 0 1000 123456789 4000 18446744073709551615",
			want:   Stat{PPID: 1, Self: 1750 * time.Millisecond, Children: 3400 * time.Millisecond},
			wantOK: true,
		},
		"CommandWithSpacesAndParentheses": {
			reason: "the command may hold spaces and ')': the fields follow the last ')'",
			line:   "77 (postgres: a (b) c) R 4242 77 77 0 -1 4194304 10 0 0 0 3 1 0 0 20 0 1 0 2000 1000 100",
			want:   Stat{PPID: 4242, Self: 40 * time.Millisecond},
			wantOK: true,
		},
		"Zombie": {
			reason: "an ended child not yet waited for keeps its times",
			line:   "78 (postgres) Z 4242 77 77 0 -1 4227084 0 0 0 0 9 2 0 0 20 0 1 0 2000 0 0",
			want:   Stat{PPID: 4242, Self: 110 * time.Millisecond},
			wantOK: true,
		},
		"NoCommand": {
			reason: "a line without the command's parentheses is not a stat line",
			line:   "78 postgres Z 4242",
		},
		"Short": {
			reason: "a line that ends before cstime (field 17) is refused, not read as zeros",
			line:   "78 (postgres) S 4242 77 77 0 -1 4194304 10 0 0 0 3 1 0",
		},
		"NotANumber": {
			reason: "a field that is not a number is refused",
			line:   "78 (postgres) S 4242 77 77 0 -1 4194304 10 0 0 0 x 1 0 0 20",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := Parse(tc.line)
			if ok != tc.wantOK {
				t.Errorf("%s\nParse(%q): ok %v, want %v", tc.reason, tc.line, ok, tc.wantOK)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nParse(%q): -want, +got:\n%s", tc.reason, tc.line, diff)
			}
		})
	}
}

// TestReadSelf reads this test process's own /proc entry: its parent is
// the one the kernel reports, and its family holds at least its own CPU.
func TestReadSelf(t *testing.T) {
	s, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.PPID != os.Getppid() {
		t.Errorf("PPID: got %d, want %d", s.PPID, os.Getppid())
	}
	family, err := FamilyCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if family < s.Self {
		t.Errorf("FamilyCPU %s is less than the process's own CPU %s", family, s.Self)
	}
	if _, err := Read(-1); err == nil {
		t.Errorf("Read(-1): want an error")
	}
}
