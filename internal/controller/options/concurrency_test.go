package options

import "testing"

func TestWorkers(t *testing.T) {
	cases := map[string]struct {
		reason    string
		workers   int
		rate      int
		rateGiven bool
		want      int
	}{
		"Defaults": {
			reason: "a provider started without either flag gets the default workers",
			rate:   DefaultMaxReconcileRate,
			want:   DefaultWorkers,
		},
		"WorkersGiven": {
			reason:    "--workers is what it says, whatever the rate",
			workers:   7,
			rate:      50,
			rateGiven: true,
			want:      7,
		},
		"OnlyRateGiven": {
			reason:    "--max-reconcile-rate alone keeps its old meaning: as many workers as reconciles a second",
			rate:      50,
			rateGiven: true,
			want:      50,
		},
		"RateGivenAsZero": {
			reason:    "a rate of zero names no worker count",
			rateGiven: true,
			want:      DefaultWorkers,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Workers(tc.workers, tc.rate, tc.rateGiven); got != tc.want {
				t.Errorf("%s: Workers(%d, %d, %v) = %d, want %d", tc.reason, tc.workers, tc.rate, tc.rateGiven, got, tc.want)
			}
		})
	}
}
