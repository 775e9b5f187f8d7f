package server

import (
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// TestLimitersRates: a ClusterProviderConfig sets a server's limit; a
// namespaced ProviderConfig caps only its own namespace, and cannot raise the
// server's limit for anyone.
func TestLimitersRates(t *testing.T) {
	type call struct {
		server string
		limit  Limit
	}
	cases := map[string]struct {
		reason string
		calls  []call
		want   map[string]rate.Limit // bucket key: rate
	}{
		"ClusterSetsTheServer": {
			reason: "The platform's config sets the server's rate.",
			calls:  []call{{"s", Limit{PerSecond: 50}}},
			want:   map[string]rate.Limit{"s": 50},
		},
		"NamespaceCannotRaise": {
			reason: "A namespace asking for 1000 gets its own bucket at 1000, behind the server's default.",
			calls:  []call{{"s", Limit{PerSecond: 1000, Namespace: "team-a"}}},
			want:   map[string]rate.Limit{"s": DefaultPerSecond, "s\x00team-a": 1000},
		},
		"NamespaceAfterCluster": {
			reason: "A namespace does not change what the platform set.",
			calls:  []call{{"s", Limit{PerSecond: 5}}, {"s", Limit{PerSecond: 1000, Namespace: "team-a"}}},
			want:   map[string]rate.Limit{"s": 5, "s\x00team-a": 1000},
		},
		"NamespaceCapsItself": {
			reason: "A namespace's lower cap is its own; another namespace keeps its own.",
			calls: []call{
				{"s", Limit{PerSecond: 100}},
				{"s", Limit{PerSecond: 2, Namespace: "team-a"}},
				{"s", Limit{PerSecond: 40, Namespace: "team-b"}},
			},
			want: map[string]rate.Limit{"s": 100, "s\x00team-a": 2, "s\x00team-b": 40},
		},
		"ClusterChanges": {
			reason: "A changed platform limit applies from the next call.",
			calls:  []call{{"s", Limit{PerSecond: 100}}, {"s", Limit{PerSecond: 10}}},
			want:   map[string]rate.Limit{"s": 10},
		},
		"PlatformLimitFirst": {
			reason: "A namespace's first operation already meets the platform's limit, before any resource of a ClusterProviderConfig connected.",
			calls:  []call{{"s", Limit{PerSecond: 1000, Namespace: "team-a", Server: 3}}},
			want:   map[string]rate.Limit{"s": 3, "s\x00team-a": 1000},
		},
		"PlatformLimitHoldsForEveryConfig": {
			reason: "Two ClusterProviderConfigs name the server: the lowest limit is the server's, whichever config an operation comes through.",
			calls:  []call{{"s", Limit{PerSecond: 100, Server: 4}}, {"s", Limit{PerSecond: 4, Server: 4}}, {"s", Limit{PerSecond: 100, Server: 4}}},
			want:   map[string]rate.Limit{"s": 4},
		},
		"NamespaceWithoutCap": {
			reason: "A namespaced config without a limit of its own waits on the server's bucket only.",
			calls:  []call{{"s", Limit{Namespace: "team-a", Server: 5}}},
			want:   map[string]rate.Limit{"s": 5},
		},
		"ServersApart": {
			reason: "Each server has its own buckets.",
			calls:  []call{{"s", Limit{PerSecond: 7}}, {"t", Limit{PerSecond: 3, Namespace: "team-a"}}},
			want:   map[string]rate.Limit{"s": 7, "t": DefaultPerSecond, "t\x00team-a": 3},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ls := NewLimiters()
			for _, c := range tc.calls {
				ls.bucketsFor(c.server, c.limit)
			}
			got := map[string]rate.Limit{}
			for k, b := range ls.buckets {
				got[k] = b.Limit()
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%s\nbuckets = %v, want %v", tc.reason, got, tc.want)
			}
			for k, w := range tc.want {
				if got[k] != w {
					t.Errorf("%s\nbucket %q rate = %v, want %v", tc.reason, k, got[k], w)
				}
			}
		})
	}
}

// TestLimitersReserve: Reserve takes turns without waiting, one after
// another at the bucket's rate; a namespace's turn on the server counts
// from its own turn; a turn given back is the next caller's.
func TestLimitersReserve(t *testing.T) {
	now := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	type call struct {
		limit   Limit
		giveUp  bool
		want    time.Duration
		comment string
	}
	cases := map[string][]call{
		"Burst then rate": {
			{limit: Limit{PerSecond: 2}, want: 0, comment: "within the burst"},
			{limit: Limit{PerSecond: 2}, want: 0, comment: "within the burst"},
			{limit: Limit{PerSecond: 2}, want: 500 * time.Millisecond, comment: "the next token"},
			{limit: Limit{PerSecond: 2}, want: time.Second, comment: "the one after"},
		},
		"Namespace cap first": {
			{limit: Limit{PerSecond: 1, Namespace: "team-a", Server: 10}, want: 0, comment: "the namespace's burst"},
			{limit: Limit{PerSecond: 1, Namespace: "team-a", Server: 10}, want: time.Second, comment: "the namespace's next token; the server has plenty"},
			{limit: Limit{PerSecond: 1, Namespace: "team-b", Server: 10}, want: 0, comment: "another namespace is not held up by team-a's cap"},
		},
		"Given back": {
			{limit: Limit{PerSecond: 1}, want: 0, comment: "the burst"},
			{limit: Limit{PerSecond: 1}, giveUp: true, want: time.Second, comment: "reserved and given back"},
			{limit: Limit{PerSecond: 1}, want: time.Second, comment: "the turn given back"},
		},
		"Unlimited": {
			{limit: Limit{}, want: 0, comment: "an instance of the provider's own"},
			{limit: Limit{}, want: 0, comment: "an instance of the provider's own"},
		},
	}
	for name, calls := range cases {
		t.Run(name, func(t *testing.T) {
			ls := NewLimiters()
			for i, c := range calls {
				got, cancel := ls.Reserve("s", c.limit, now)
				if got != c.want {
					t.Errorf("call %d (%s): delay %v, want %v", i, c.comment, got, c.want)
				}
				if c.giveUp {
					cancel(now)
				}
			}
		})
	}
}
