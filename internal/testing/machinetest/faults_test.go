package machinetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFaultsNext(t *testing.T) {
	cases := map[string]struct {
		reason string
		set    func(f *Faults)
		want   []Fault
	}{
		"None": {
			reason: "a fake nobody asked to fail answers every request",
			set:    func(*Faults) {},
			want:   []Fault{NoFault, NoFault},
		},
		"ThrottleThenDown": {
			reason: "throttling comes first, then unavailability, then answers",
			set:    func(f *Faults) { f.Throttle(2); f.Unavailable(1) },
			want:   []Fault{Throttled, Throttled, Down, NoFault},
		},
		"ThrottleAfter": {
			reason: "ThrottleAfter lets k requests through before it throttles",
			set:    func(f *Faults) { f.ThrottleAfter(2, 1) },
			want:   []Fault{NoFault, NoFault, Throttled, NoFault},
		},
		"ThrottleResetsSkip": {
			reason: "Throttle throttles at once, whatever ThrottleAfter set before",
			set:    func(f *Faults) { f.ThrottleAfter(2, 1); f.Throttle(1) },
			want:   []Fault{Throttled, NoFault},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var f Faults
			tc.set(&f)
			var got []Fault
			for range tc.want {
				got = append(got, f.Next())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nNext(): -want, +got:\n%s", tc.reason, diff)
			}
			if f.Calls() != int64(len(tc.want)) {
				t.Errorf("%s\nCalls() = %d, want %d", tc.reason, f.Calls(), len(tc.want))
			}
		})
	}
}
