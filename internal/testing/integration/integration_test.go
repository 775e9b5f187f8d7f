package integration

import (
	"flag"
	"testing"
)

func TestWiden(t *testing.T) {
	cases := map[string]struct {
		reason string
		args   []string
		want   int
	}{
		"NotGiven": {reason: "without -parallel on the command line the package's width applies", want: 6},
		"Given":    {reason: "-parallel on the command line wins over the package's width", args: []string{"-test.parallel=1"}, want: 1},
		"GivenAsDefault": {
			reason: "-parallel given with the default's value is still given",
			args:   []string{"-test.parallel=2"}, want: 2,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fs := flag.NewFlagSet(name, flag.ContinueOnError)
			p := fs.Int("test.parallel", 2, "")
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			widen(fs, 6)
			if *p != tc.want {
				t.Errorf("%s: test.parallel %d, want %d", tc.reason, *p, tc.want)
			}
		})
	}
}
