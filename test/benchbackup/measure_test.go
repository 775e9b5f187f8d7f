package benchbackup

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseVariants(t *testing.T) {
	cases := map[string]struct {
		reason  string
		flag    string
		want    []variant
		wantErr bool
	}{
		"Empty": {
			reason: "No flag measures the defaults alone.",
			flag:   "",
			want:   []variant{{Name: defaultsVariant}},
		},
		"DefaultsAndOptions": {
			reason: "Each variant is a sub-benchmark named after its options.",
			flag:   "defaults; --compress-type=none ;--process-max=2 --repo-bundle=y;",
			want: []variant{
				{Name: defaultsVariant},
				{Name: "compress-type-none", Options: []string{"--compress-type=none"}},
				{Name: "process-max-2,repo-bundle-y", Options: []string{"--process-max=2", "--repo-bundle=y"}},
			},
		},
		"NotAnOption": {
			reason:  "A word that is no long option is refused.",
			flag:    "compress-type=none",
			wantErr: true,
		},
		"ShellInValue": {
			reason:  "A value that a shell would read as more is refused.",
			flag:    "--compress-type=none;rm",
			wantErr: true,
		},
		"SpaceInValue": {
			reason:  "Quotes do not make a value with a space.",
			flag:    "--exclude='a b'",
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseVariants(tc.flag)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\nparseVariants(%q): error %v, want error %v", tc.reason, tc.flag, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nparseVariants(%q): -want, +got:\n%s", tc.reason, tc.flag, diff)
			}
		})
	}
}

func TestMeasures(t *testing.T) {
	at := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		reason string
		got    float64
		want   float64
	}{
		"MegabytesPerSecond":    {"2 GB in 20 s is 100 MB/s.", megabytesPerSecond(2e9, 20*time.Second), 100},
		"MegabytesPerSecondNil": {"Nothing measured is no speed.", megabytesPerSecond(2e9, 0), 0},
		"RatioSlower":           {"Taking twice as long is half as fast.", ratio(10*time.Second, 20*time.Second), 0.5},
		"RatioFaster":           {"Taking half as long is twice as fast.", ratio(10*time.Second, 5*time.Second), 2},
		"RatioNil":              {"Nothing measured is no ratio.", ratio(10*time.Second, 0), 0},
		"MedianOdd":             {"The middle value.", median([]float64{3, 1, 2}), 2},
		"MedianEven":            {"The mean of the two middle values.", median([]float64{4, 1, 3, 2}), 2.5},
		"MedianNone":            {"No values, no median.", median(nil), 0},
		"Maximum":               {"The largest value.", maximum([]float64{3, 7, 2}), 7},
		"MaximumNone":           {"No values, no maximum.", maximum(nil), 0},
		"Lost":                  {"Acknowledged 4.5 s after the newest restored row.", lostSeconds(at.Add(4500*time.Millisecond), at), 4.5},
		"NothingLost":           {"The newest acknowledged row is restored.", lostSeconds(at, at), 0},
		"MoreThanAcknowledged":  {"A restored commit whose acknowledgement the crash cut off is no loss.", lostSeconds(at, at.Add(time.Second)), 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("%s\ngot %v, want %v", tc.reason, tc.got, tc.want)
			}
		})
	}
}

func TestForRestore(t *testing.T) {
	cases := map[string]struct {
		reason  string
		options []string
		want    []string
	}{
		"None":        {"No options, none for restore.", nil, nil},
		"Compression": {"How a backup is compressed and bundled is in the backup, not restore's.", []string{"--compress-type=none", "--compress-level=1", "--repo-bundle=y"}, nil},
		"Parallel":    {"Restore runs as many processes as backup.", []string{"--compress-type=zst", "--process-max=2", "--delta"}, []string{"--process-max=2", "--delta"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, forRestore(tc.options)); diff != "" {
				t.Errorf("%s\nforRestore(%q): -want, +got:\n%s", tc.reason, tc.options, diff)
			}
		})
	}
}
