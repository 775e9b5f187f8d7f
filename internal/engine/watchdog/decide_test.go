package watchdog

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDecide(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC)
	const after = 3 * time.Second
	at := t0.Add
	cases := map[string]struct {
		reason string
		in     Input
		want   Action
	}{
		"ReplicaNeverFences": {
			reason: "A replica takes no writes and is what the provider promotes: it never fences itself, however long alone.",
			in:     Input{Primary: false, LastStreaming: t0, LastHeartbeat: t0, Now: at(time.Hour), FenceAfter: after},
			want:   Nothing,
		},
		"UnansweredNotRunningNeedsNothing": {
			reason: "A server that does not answer and does not run takes no writes: a fenced one needs nothing either.",
			in:     Input{Unanswered: true, Fenced: true, LastStreaming: t0, LastHeartbeat: t0, Now: at(time.Hour), FenceAfter: after},
			want:   Nothing,
		},
		"UnansweredStandbyNeverFences": {
			reason: "A server that does not answer and runs marked a standby is a replica: never fenced, however long alone.",
			in:     Input{Unanswered: true, LastStreaming: t0, LastHeartbeat: t0, Now: at(time.Hour), FenceAfter: after},
			want:   Nothing,
		},
		"UnansweredPrimaryKeptByHeartbeat": {
			reason: "A server that does not answer yet may be a primary is kept running by a provider that renews the heartbeat.",
			in:     Input{Unanswered: true, MayBePrimary: true, LastStreaming: t0, LastHeartbeat: at(time.Hour - time.Second), Now: at(time.Hour), FenceAfter: after},
			want:   Nothing,
		},
		"UnansweredPrimaryKeptByRecentReply": {
			reason: "A replica's reply seen less than fenceAfter ago, before the server stopped answering, keeps it running.",
			in:     Input{Unanswered: true, MayBePrimary: true, LastStreaming: at(time.Hour - 2*time.Second), LastHeartbeat: t0, Now: at(time.Hour), FenceAfter: after},
			want:   Nothing,
		},
		"UnansweredPrimaryFences": {
			reason: "A watchdog that cannot log in must not do nothing: a server running as no standby, with no heartbeat and no replica seen for fenceAfter, is fenced.",
			in:     Input{Unanswered: true, MayBePrimary: true, LastStreaming: t0, LastHeartbeat: t0, Now: at(after), FenceAfter: after},
			want:   StopWrites,
		},
		"UnansweredFencedPrimaryIsStopped": {
			reason: "A fenced member that does not answer and runs as no standby is stopped at once.",
			in:     Input{Unanswered: true, MayBePrimary: true, Fenced: true, LastStreaming: t0, LastHeartbeat: t0, Now: t0, FenceAfter: after},
			want:   StopServer,
		},
		"MayBePrimaryOnlyWhenUnanswered": {
			reason: "A server that answered it is a replica is one, whatever its data directory says.",
			in:     Input{MayBePrimary: true, LastStreaming: t0, LastHeartbeat: t0, Now: at(time.Hour), FenceAfter: after},
			want:   Nothing,
		},
		"StreamingReplicaKeepsItRunning": {
			reason: "A replica streaming now means the primary is not isolated, even with no heartbeat for long.",
			in:     Input{Primary: true, Streaming: 1, LastStreaming: t0, LastHeartbeat: t0, Now: at(time.Hour), FenceAfter: after},
			want:   Nothing,
		},
		"HeartbeatKeepsItRunning": {
			reason: "A provider that renews the heartbeat sees the primary and will not fail over.",
			in:     Input{Primary: true, LastStreaming: t0, LastHeartbeat: at(time.Hour - time.Second), Now: at(time.Hour), FenceAfter: after},
			want:   Nothing,
		},
		"RecentStreamKeepsItRunning": {
			reason: "A replica seen streaming less than fenceAfter ago (reconnecting, say) keeps the primary running.",
			in:     Input{Primary: true, LastStreaming: at(time.Hour - 2*time.Second), LastHeartbeat: t0, Now: at(time.Hour), FenceAfter: after},
			want:   Nothing,
		},
		"JustBeforeFenceAfter": {
			reason: "Isolated for a moment less than fenceAfter is not yet fenced.",
			in:     Input{Primary: true, LastStreaming: t0, LastHeartbeat: t0, Now: at(after - time.Millisecond), FenceAfter: after},
			want:   Nothing,
		},
		"IsolatedForFenceAfter": {
			reason: "No replica streaming and no heartbeat for fenceAfter: the primary stops taking writes.",
			in:     Input{Primary: true, LastStreaming: t0, LastHeartbeat: t0, Now: at(after), FenceAfter: after},
			want:   StopWrites,
		},
		"IsolatedLongAgo": {
			reason: "Both lost long ago, at different times: the later of the two counts, and both are older than fenceAfter.",
			in:     Input{Primary: true, LastStreaming: t0, LastHeartbeat: at(time.Minute), Now: at(time.Minute + after + time.Second), FenceAfter: after},
			want:   StopWrites,
		},
		"FencedPrimaryIsStopped": {
			reason: "A fenced member running as a primary is stopped at once, even with a heartbeat: another member may have been promoted.",
			in:     Input{Primary: true, Streaming: 1, Fenced: true, LastStreaming: t0, LastHeartbeat: t0, Now: t0, FenceAfter: after},
			want:   StopServer,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Decide(tc.in)
			if diff := cmp.Diff(tc.want, got.Action); diff != "" {
				t.Errorf("%s\nDecide(...): -want, +got:\n%s\nreason given: %s", tc.reason, diff, got.Reason)
			}
			if got.Reason == "" {
				t.Errorf("%s\nDecide(...): want a reason for the log", tc.reason)
			}
		})
	}
}

func TestRemember(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC)
	at := t0.Add
	type look struct {
		now       time.Time
		streaming int
		mtime     time.Time
	}
	cases := map[string]struct {
		reason string
		looks  []look
		want   Memory
	}{
		"StartCountsAsSeen": {
			reason: "A watchdog with no history takes its start as the last time it saw both, even when the file is older.",
			looks:  []look{{now: at(time.Second), mtime: at(-time.Hour)}},
			want:   Memory{LastStreaming: t0, LastHeartbeat: t0, HeartbeatMTime: at(-time.Hour)},
		},
		"NoFile": {
			reason: "No heartbeat file is no heartbeat.",
			looks:  []look{{now: at(time.Second)}, {now: at(2 * time.Second)}},
			want:   Memory{LastStreaming: t0, LastHeartbeat: t0},
		},
		"StreamingIsSeenNow": {
			reason: "A look that sees a replica streaming records the look's time.",
			looks:  []look{{now: at(time.Second), streaming: 2}, {now: at(2 * time.Second)}},
			want:   Memory{LastStreaming: at(time.Second), LastHeartbeat: t0},
		},
		"RenewalCredited": {
			reason: "A renewed heartbeat counts at its modification time.",
			looks:  []look{{now: at(2 * time.Second), mtime: at(time.Second)}, {now: at(4 * time.Second), mtime: at(3 * time.Second)}},
			want:   Memory{LastStreaming: t0, LastHeartbeat: at(3 * time.Second), HeartbeatMTime: at(3 * time.Second)},
		},
		"UnchangedFileIsNoRenewal": {
			reason: "The same modification time seen again renews nothing.",
			looks:  []look{{now: at(2 * time.Second), mtime: at(time.Second)}, {now: at(9 * time.Second), mtime: at(time.Second)}},
			want:   Memory{LastStreaming: t0, LastHeartbeat: at(time.Second), HeartbeatMTime: at(time.Second)},
		},
		"FutureFileCountsOnce": {
			reason: "A file dated in the future counts as renewed at the look that first saw it, and never again while it does not change.",
			looks:  []look{{now: at(time.Second), mtime: at(time.Hour)}, {now: at(5 * time.Second), mtime: at(time.Hour)}},
			want:   Memory{LastStreaming: t0, LastHeartbeat: at(time.Second), HeartbeatMTime: at(time.Hour)},
		},
		"OlderRenewalDoesNotGoBack": {
			reason: "A file set back to an older time changes nothing that was credited.",
			looks:  []look{{now: at(2 * time.Second), mtime: at(time.Second)}, {now: at(3 * time.Second), mtime: at(-time.Minute)}},
			want:   Memory{LastStreaming: t0, LastHeartbeat: at(time.Second), HeartbeatMTime: at(-time.Minute)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m := NewMemory(t0)
			for _, l := range tc.looks {
				m = m.Remember(l.now, l.streaming, l.mtime)
			}
			if diff := cmp.Diff(tc.want, m); diff != "" {
				t.Errorf("%s\nRemember(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestRestartNeverFencesAtOnce runs the memory and the decision together:
// a watchdog that starts beside an isolated primary whose heartbeat is long
// stale fences it only once fenceAfter of its own looks have passed.
func TestRestartNeverFencesAtOnce(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC)
	const after = 3 * time.Second
	stale := t0.Add(-time.Hour)
	m := NewMemory(t0)
	for _, c := range []struct {
		now  time.Duration
		want Action
	}{{0, Nothing}, {time.Second, Nothing}, {after - time.Millisecond, Nothing}, {after, StopWrites}} {
		now := t0.Add(c.now)
		m = m.Remember(now, 0, stale)
		if got := Decide(m.Input(look{at: now, primary: true}, after)); got.Action != c.want {
			t.Errorf("%s after start: want %s, got %s (%s)", c.now, c.want, got.Action, got.Reason)
		}
	}
}

func TestRememberReply(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC)
	at := t0.Add
	cases := map[string]struct {
		reason  string
		replies []struct{ now, replied time.Time }
		want    time.Time
	}{
		"ReplyCountsAtItsTime": {
			reason:  "A replica that last replied at 2s streamed then, however late the look that found it.",
			replies: []struct{ now, replied time.Time }{{at(9 * time.Second), at(2 * time.Second)}},
			want:    at(2 * time.Second),
		},
		"NoReplicaIsNoStream": {
			reason:  "A look that finds no replica streaming moves nothing.",
			replies: []struct{ now, replied time.Time }{{at(3 * time.Second), time.Time{}}},
			want:    t0,
		},
		"StaleReplyBeforeStartCountsNothing": {
			reason:  "A reply older than the watchdog's start leaves the start as the last stream.",
			replies: []struct{ now, replied time.Time }{{at(time.Second), at(-time.Minute)}},
			want:    t0,
		},
		"FutureReplyCountsNow": {
			reason:  "A reply stamped in the future counts at the look.",
			replies: []struct{ now, replied time.Time }{{at(time.Second), at(time.Hour)}},
			want:    at(time.Second),
		},
		"NeverBack": {
			reason:  "An older reply after a newer one changes nothing.",
			replies: []struct{ now, replied time.Time }{{at(5 * time.Second), at(4 * time.Second)}, {at(6 * time.Second), at(3 * time.Second)}},
			want:    at(4 * time.Second),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m := NewMemory(t0)
			for _, r := range tc.replies {
				m = m.RememberReply(r.now, r.replied)
			}
			if !m.LastStreaming.Equal(tc.want) {
				t.Errorf("%s\nRememberReply(...): want LastStreaming %s, got %s", tc.reason, tc.want, m.LastStreaming)
			}
		})
	}
}

func TestAnswered(t *testing.T) {
	m := NewMemory(time.Now())
	for _, ok := range []bool{false, false, true, false} {
		m = m.Answered(ok)
	}
	if m.Unanswered != 1 || m.UnansweredTotal != 3 {
		t.Errorf("after unanswered, unanswered, answered, unanswered: want 1 in a row and 3 in all, got %d and %d", m.Unanswered, m.UnansweredTotal)
	}
}
