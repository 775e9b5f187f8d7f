package databaseinstance

import (
	"strings"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

// standby is a replica that answers as a standby, replayed up to lsn and
// received up to recv.
func standby(vm, lsn, recv string) memberState {
	return memberState{VM: vm, Reachable: true, Fenceable: true, Initialized: true, Standby: true,
		Status: postgresql.Status{Running: true, Ready: true, InRecovery: true, LSN: lsn, ReceiveLSN: recv}}
}

// streamingStandby is a standby whose WAL receiver streams from the primary.
func streamingStandby(vm, lsn string) memberState {
	m := standby(vm, lsn, lsn)
	m.Streaming, m.Upstream = true, "10.0.0.1:5432"
	return m
}

// with changes a member.
func with(m memberState, f func(*memberState)) memberState {
	f(&m)
	return m
}

// deadPrimary is a primary whose machine answers but whose server does
// not.
func deadPrimary(vm string) memberState {
	return memberState{VM: vm, Reachable: true, Fenceable: true, Initialized: true}
}

// offPrimary is a local primary whose machine is powered off: it is not
// asked, but its fence is on this host's disk.
func offPrimary(vm string) memberState {
	return memberState{VM: vm, Off: "VirtualMachine " + vm + " is powered off", Fenceable: true}
}

// lostPrimary is a primary the provider cannot reach at all.
func lostPrimary(vm string) memberState {
	return memberState{VM: vm, Err: errors.New("dial tcp 10.0.0.1:22: i/o timeout")}
}

func members(ms ...memberState) snapshot { return snapshot{Members: ms} }

func TestSortCandidates(t *testing.T) {
	cases := map[string]struct {
		reason string
		s      snapshot
		synced []string
		want   []string
		lsn    string
	}{
		"NoReplicas": {
			reason: "A primary alone has no candidate.",
			s:      members(deadPrimary("vm-0")),
		},
		"OneStandby": {
			reason: "A standby that answers is a candidate.",
			s:      members(deadPrimary("vm-0"), standby("vm-1", "0/3000000", "")),
			want:   []string{"vm-1"}, lsn: "0/3000000",
		},
		"MostAdvancedReplay": {
			reason: "The replica that replayed further comes first.",
			s:      members(deadPrimary("vm-0"), standby("vm-1", "0/3000000", ""), standby("vm-2", "0/5000000", "")),
			want:   []string{"vm-2", "vm-1"}, lsn: "0/5000000",
		},
		"ReceivedCounts": {
			reason: "Promotion replays all a replica received: its received position counts, and is the LSN reported.",
			s:      members(deadPrimary("vm-0"), standby("vm-1", "0/5000000", ""), standby("vm-2", "0/3000000", "0/6000000")),
			want:   []string{"vm-2", "vm-1"}, lsn: "0/6000000",
		},
		"ReplayAheadOfReceive": {
			reason: "A receive position reset by a restart behind the replayed one does not hold a replica back.",
			s:      members(deadPrimary("vm-0"), standby("vm-1", "0/7000000", "0/1000000"), standby("vm-2", "0/6000000", "0/6000000")),
			want:   []string{"vm-1", "vm-2"}, lsn: "0/7000000",
		},
		"TieSyncedWins": {
			reason: "Of replicas equally advanced, one that counted for commits comes first.",
			s:      members(deadPrimary("vm-0"), standby("vm-1", "0/3000000", ""), standby("vm-2", "0/3000000", "")),
			synced: []string{"vm-2"},
			want:   []string{"vm-2", "vm-1"}, lsn: "0/3000000",
		},
		"MoreAdvancedBeatsSynced": {
			reason: "Being synced only breaks ties: the most advanced replica holds every acknowledged commit.",
			s:      members(deadPrimary("vm-0"), standby("vm-1", "0/3000000", ""), standby("vm-2", "0/5000000", "")),
			synced: []string{"vm-1"},
			want:   []string{"vm-2", "vm-1"}, lsn: "0/5000000",
		},
		"TieByName": {
			reason: "Equal in all else, the name decides, whatever the order of the members.",
			s:      members(deadPrimary("vm-0"), standby("vm-2", "0/3000000", ""), standby("vm-1", "0/3000000", "")),
			want:   []string{"vm-1", "vm-2"}, lsn: "0/3000000",
		},
		"TieBothSyncedByName": {
			reason: "Two synced replicas equally advanced are ordered by name.",
			s:      members(deadPrimary("vm-0"), standby("vm-3", "0/3000000", ""), standby("vm-2", "0/3000000", ""), standby("vm-1", "0/1000000", "")),
			synced: []string{"vm-2", "vm-3"},
			want:   []string{"vm-2", "vm-3", "vm-1"}, lsn: "0/3000000",
		},
		"NeverFenced": {
			reason: "A fenced member is a former primary waiting to rejoin, however advanced.",
			s: members(deadPrimary("vm-0"), with(standby("vm-1", "0/9000000", ""), func(m *memberState) { m.Fenced, m.FenceEpoch = true, 2 }),
				standby("vm-2", "0/3000000", "")),
			want: []string{"vm-2"}, lsn: "0/3000000",
		},
		"NeverUnreachable": {
			reason: "A member whose status could not be read is not promoted.",
			s: members(deadPrimary("vm-0"), with(standby("vm-1", "0/9000000", ""), func(m *memberState) {
				m.Reachable, m.Err = false, errors.New("timeout")
			}), standby("vm-2", "0/3000000", "")),
			want: []string{"vm-2"}, lsn: "0/3000000",
		},
		"NeverOff": {
			reason: "A member whose machine is off is not promoted.",
			s: members(deadPrimary("vm-0"), with(standby("vm-1", "0/9000000", ""), func(m *memberState) { m.Off = "powered off" }),
				standby("vm-2", "0/3000000", "")),
			want: []string{"vm-2"}, lsn: "0/3000000",
		},
		"NeverUninitialized": {
			reason: "A member without data is not promoted.",
			s:      members(deadPrimary("vm-0"), memberState{VM: "vm-1", Reachable: true, Fenceable: true}, standby("vm-2", "0/3000000", "")),
			want:   []string{"vm-2"}, lsn: "0/3000000",
		},
		"NeverNotReady": {
			reason: "A standby whose server does not answer is not promoted.",
			s: members(deadPrimary("vm-0"), with(standby("vm-1", "0/9000000", ""), func(m *memberState) { m.Ready = false }),
				standby("vm-2", "0/3000000", "")),
			want: []string{"vm-2"}, lsn: "0/3000000",
		},
		"NeverNonStandby": {
			reason: "A member that answers as a primary is not a standby to promote.",
			s: members(deadPrimary("vm-0"), with(standby("vm-1", "0/9000000", ""), func(m *memberState) { m.InRecovery = false }),
				standby("vm-2", "0/3000000", "")),
			want: []string{"vm-2"}, lsn: "0/3000000",
		},
		"NeverWithoutPosition": {
			reason: "A standby that reports no WAL position, or one that cannot be parsed, is not promoted.",
			s: members(deadPrimary("vm-0"), standby("vm-1", "", ""), standby("vm-2", "garbage", ""),
				standby("vm-3", "0/1000000", "")),
			want: []string{"vm-3"}, lsn: "0/1000000",
		},
		"NeverThePrimary": {
			reason: "The member at the primary index is never its own successor, even when it answers as a standby.",
			s: snapshot{Primary: 1, Members: []memberState{standby("vm-0", "0/3000000", ""),
				standby("vm-1", "0/9000000", "")}},
			want: []string{"vm-0"}, lsn: "0/3000000",
		},
		"NoneLeft": {
			reason: "Fenced, off and unreachable members leave no candidate.",
			s: members(deadPrimary("vm-0"), with(standby("vm-1", "0/9000000", ""), func(m *memberState) { m.Fenced = true }),
				with(standby("vm-2", "0/9000000", ""), func(m *memberState) { m.Off = "not Ready" })),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, n := range sortCandidates(tc.s, tc.synced) {
				got = append(got, tc.s.Members[n].VM)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nsortCandidates: -want, +got:\n%s", tc.reason, diff)
			}
			n, lsn, ok := chooseCandidate(tc.s, tc.synced)
			if ok != (len(tc.want) > 0) {
				t.Fatalf("%s\nchooseCandidate: want found %v, got %v", tc.reason, len(tc.want) > 0, ok)
			}
			if ok && (tc.s.Members[n].VM != tc.want[0] || lsn != tc.lsn) {
				t.Errorf("%s\nchooseCandidate: want %s at %s, got %s at %s", tc.reason, tc.want[0], tc.lsn, tc.s.Members[n].VM, lsn)
			}
		})
	}
}

func TestFailoverDecision(t *testing.T) {
	on := failoverPolicy{Enabled: true, After: 10 * time.Second}
	selfFencing := failoverPolicy{Enabled: true, After: 20 * time.Second, SelfFencing: true, FenceAfter: 10 * time.Second}
	type want struct {
		action  action
		promote string
		wait    time.Duration
		// says are parts of the message.
		says []string
	}
	cases := map[string]struct {
		reason  string
		s       snapshot
		tracked bool
		down    time.Duration
		p       failoverPolicy
		want    want
	}{
		"PrimaryAnswers": {
			reason: "A primary that answers is left alone.",
			s: members(with(deadPrimary("vm-0"), func(m *memberState) { m.Ready, m.Running = true, true }),
				standby("vm-1", "0/3000000", "")),
			tracked: true, down: time.Minute, p: on,
			want: want{action: actNone},
		},
		"NotTracked": {
			reason: "A primary that was not seen answering before (being created) is not replaced.",
			s:      members(deadPrimary("vm-0"), standby("vm-1", "0/3000000", "")),
			p:      on,
			want:   want{action: actNone},
		},
		"Disabled": {
			reason:  "With failover disabled nothing is promoted.",
			s:       members(deadPrimary("vm-0"), standby("vm-1", "0/3000000", "")),
			tracked: true, down: time.Minute, p: failoverPolicy{After: 10 * time.Second},
			want: want{action: actNone},
		},
		"JustStopped": {
			reason:  "A primary down for less than failover.after is waited for, for the rest of it.",
			s:       members(deadPrimary("vm-0"), standby("vm-1", "0/3000000", "")),
			tracked: true, down: 0, p: on,
			want: want{action: actWait, wait: 10 * time.Second},
		},
		"WaitingOut": {
			reason:  "A primary down for part of failover.after is waited for, for the rest of it.",
			s:       members(deadPrimary("vm-0"), standby("vm-1", "0/3000000", "")),
			tracked: true, down: 4 * time.Second, p: on,
			want: want{action: actWait, wait: 6 * time.Second},
		},
		"PromotesAtAfter": {
			reason:  "A primary down for failover.after is replaced by the most advanced replica.",
			s:       members(deadPrimary("vm-0"), standby("vm-1", "0/3000000", ""), standby("vm-2", "0/5000000", "")),
			tracked: true, down: 10 * time.Second, p: on,
			want: want{action: actPromote, promote: "vm-2",
				says: []string{"primary vm-0 stopped answering for 10s; promoted vm-2 (most advanced, LSN 0/5000000)"}},
		},
		"PromotesSyncedOnTie": {
			reason:  "The replica that counted for commits is promoted over an equally advanced one.",
			s:       members(deadPrimary("vm-0"), standby("vm-1", "0/5000000", ""), standby("vm-2", "0/5000000", "")),
			tracked: true, down: time.Minute,
			p:    failoverPolicy{Enabled: true, After: 10 * time.Second, Synced: []string{"vm-2"}},
			want: want{action: actPromote, promote: "vm-2"},
		},
		"PoweredOffPrimaryPromotes": {
			reason:  "A local primary whose machine is off is fenced on its disk: its best replica is promoted, as today.",
			s:       members(offPrimary("vm-0"), standby("vm-1", "0/3000000", "")),
			tracked: true, down: 10 * time.Second, p: on,
			want: want{action: actPromote, promote: "vm-1"},
		},
		"ReachablePrimaryIgnoresStreams": {
			reason:  "A primary the provider reaches with its server dead is replaced even if a replica still says it streams: it can be fenced.",
			s:       members(deadPrimary("vm-0"), streamingStandby("vm-1", "0/3000000")),
			tracked: true, down: 10 * time.Second, p: on,
			want: want{action: actPromote, promote: "vm-1"},
		},
		"NoCandidateRestarts": {
			reason: "Without a replica to promote, the primary is started again where it is.",
			s: members(deadPrimary("vm-0"), with(standby("vm-1", "0/3000000", ""), func(m *memberState) { m.Fenced = true }),
				memberState{VM: "vm-2", Off: "powered off", Fenceable: true}),
			tracked: true, down: 15 * time.Second, p: on,
			want: want{action: actRestart, says: []string{"primary vm-0 stopped answering 15s ago, but no replica answers to be promoted"}},
		},
		"PartitionedCannotBeFenced": {
			reason:  "A primary the provider cannot reach, without a watchdog, may still take writes: nothing is promoted.",
			s:       members(lostPrimary("vm-0"), standby("vm-1", "0/3000000", "")),
			tracked: true, down: time.Hour, p: on,
			want: want{action: actRefuse, says: []string{"primary vm-0 cannot be reached and cannot be fenced"}},
		},
		"PartitionedCannotBeFencedWhileWaiting": {
			reason:  "The refusal is said at once, not only after failover.after.",
			s:       members(lostPrimary("vm-0"), standby("vm-1", "0/3000000", "")),
			tracked: true, down: time.Second, p: on,
			want: want{action: actRefuse, says: []string{"cannot be fenced"}},
		},
		"PartitionedAfterTooShort": {
			reason:  "failover.after not above fenceAfter plus the margin is refused, naming both.",
			s:       members(lostPrimary("vm-0"), standby("vm-1", "0/3000000", "")),
			tracked: true, down: time.Hour,
			p:    failoverPolicy{Enabled: true, After: 12 * time.Second, SelfFencing: true, FenceAfter: 10 * time.Second},
			want: want{action: actRefuse, says: []string{"failover.after (12s)", "fenceAfter (10s)", "margin of 5s"}},
		},
		"PartitionedAfterAtTheMargin": {
			reason:  "failover.after equal to fenceAfter plus the margin is not above it: refused.",
			s:       members(lostPrimary("vm-0"), standby("vm-1", "0/3000000", "")),
			tracked: true, down: time.Hour,
			p:    failoverPolicy{Enabled: true, After: 15 * time.Second, SelfFencing: true, FenceAfter: 10 * time.Second},
			want: want{action: actRefuse, says: []string{"failover.after (15s)", "fenceAfter (10s)"}},
		},
		"PartitionedWaiting": {
			reason:  "A self-fencing primary the provider lost is waited for failover.after like any other.",
			s:       members(lostPrimary("vm-0"), standby("vm-1", "0/3000000", "")),
			tracked: true, down: 5 * time.Second, p: selfFencing,
			want: want{action: actWait, wait: 15 * time.Second},
		},
		"PartitionedReplicaStillStreams": {
			reason:  "A replica that still streams from the primary shows the primary alive: only the provider lost sight of it.",
			s:       members(lostPrimary("vm-0"), standby("vm-1", "0/3000000", "0/3000000"), streamingStandby("vm-2", "0/5000000")),
			tracked: true, down: time.Minute, p: selfFencing,
			want: want{action: actRefuse, says: []string{"replica vm-2 still streams", "only the provider lost sight"}},
		},
		"PartitionedUnreachableReplicaNotCounted": {
			reason: "A replica the provider cannot reach reports nothing; the ones it reaches do not stream: the best of them is promoted.",
			s: members(lostPrimary("vm-0"), with(streamingStandby("vm-1", "0/9000000"), func(m *memberState) {
				m.Reachable, m.Err = false, errors.New("timeout")
			}), standby("vm-2", "0/5000000", "0/5000000")),
			tracked: true, down: time.Minute, p: selfFencing,
			want: want{action: actPromote, promote: "vm-2", says: []string{"promoted vm-2 (most advanced, LSN 0/5000000)"}},
		},
		"PartitionedNoStreamPromotes": {
			reason:  "A self-fencing primary lost by the provider and by every replica it reaches is replaced after failover.after.",
			s:       members(lostPrimary("vm-0"), standby("vm-1", "0/3000000", "0/4000000"), standby("vm-2", "0/3000000", "")),
			tracked: true, down: 20 * time.Second, p: selfFencing,
			want: want{action: actPromote, promote: "vm-1", says: []string{"LSN 0/4000000"}},
		},
		"PartitionedNoCandidate": {
			reason: "A lost primary cannot be started again: without a candidate nothing is done.",
			s: members(lostPrimary("vm-0"), with(standby("vm-1", "0/3000000", ""), func(m *memberState) {
				m.Reachable, m.Err = false, errors.New("timeout")
			})),
			tracked: true, down: time.Minute, p: selfFencing,
			want: want{action: actRefuse, says: []string{"no replica answers to be promoted"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := failoverDecision(tc.s, tc.tracked, tc.down, tc.p)
			if d.Action != tc.want.action {
				t.Fatalf("%s\nfailoverDecision: want action %d, got %+v", tc.reason, tc.want.action, d)
			}
			if d.Wait != tc.want.wait {
				t.Errorf("%s\nfailoverDecision: want to wait %s, got %s", tc.reason, tc.want.wait, d.Wait)
			}
			if tc.want.action == actPromote && tc.s.Members[d.Promote].VM != tc.want.promote {
				t.Errorf("%s\nfailoverDecision: want %s promoted, got %s", tc.reason, tc.want.promote, tc.s.Members[d.Promote].VM)
			}
			for _, w := range tc.want.says {
				if !strings.Contains(d.Message, w) {
					t.Errorf("%s\nfailoverDecision: want the message to say %q, got %q", tc.reason, w, d.Message)
				}
			}
		})
	}
}

func TestPrimaryDownAfterPromotion(t *testing.T) {
	// What the pass that fails over observed before it promoted vm-1: the
	// killed primary vm-0 not running, the replicas streaming.
	lag := int64(0)
	beforePromotion := []v1alpha1.Member{
		{VirtualMachine: "vm-0", Role: v1alpha1.RolePrimary, Running: false},
		{VirtualMachine: "vm-1", Role: v1alpha1.RoleReplica, Running: true, LSN: "0/3000000", LagBytes: &lag, Streaming: streaming, SyncState: "async"},
		{VirtualMachine: "vm-2", Role: v1alpha1.RoleReplica, Running: true, LSN: "0/3000000", LagBytes: &lag, Streaming: streaming, SyncState: "async"},
	}
	cases := map[string]struct {
		reason   string
		recorded []v1alpha1.Member
		vm       string
		want     bool
	}{
		"AnsweredAsPrimary": {
			reason:   "A primary last seen answering has stopped answering: it is waited for and replaced.",
			recorded: []v1alpha1.Member{{VirtualMachine: "vm-0", Role: v1alpha1.RolePrimary, Running: true}},
			vm:       "vm-0", want: true,
		},
		"NotYetStarted": {
			reason:   "A primary never seen answering is being created or started: it is started where it is.",
			recorded: []v1alpha1.Member{{VirtualMachine: "vm-0", Role: v1alpha1.RolePrimary}},
			vm:       "vm-0",
		},
		"SwitchoverTarget": {
			reason:   "A member the spec names as the primary that was last seen as a replica has not answered as the primary yet.",
			recorded: beforePromotion, vm: "vm-2",
		},
		"PromotedByFailover": {
			reason: "A new primary killed before any later look recorded it (the next pass's status write lost to a stale read) " +
				"stopped answering as a primary: it is failed over, not started again where it is. The members the promoting pass " +
				"observed before it promoted said otherwise, and a killed new primary came back by crash recovery under the same name.",
			recorded: promotedMembers(beforePromotion, "vm-0", "vm-1"), vm: "vm-1", want: true,
		},
		"FormerPrimaryAfterPromotion": {
			reason:   "The fenced former primary is a replica that does not run.",
			recorded: promotedMembers(beforePromotion, "vm-0", "vm-1"), vm: "vm-0",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := answeredAsPrimary(tc.recorded, tc.vm); got != tc.want {
				t.Errorf("%s\nansweredAsPrimary(%s): want %v, got %v", tc.reason, tc.vm, tc.want, got)
			}
		})
	}
}

func TestPromotedMembers(t *testing.T) {
	lag := int64(0)
	before := []v1alpha1.Member{
		{VirtualMachine: "vm-0", Role: v1alpha1.RolePrimary, Running: false, LSN: "0/2000000"},
		{VirtualMachine: "vm-1", Role: v1alpha1.RoleReplica, Running: true, LSN: "0/3000000", LagBytes: &lag, Streaming: streaming, SyncState: "async", Watchdog: true},
		{VirtualMachine: "vm-2", Role: v1alpha1.RoleReplica, Running: true, LSN: "0/3000000", LagBytes: &lag, Streaming: streaming, SyncState: "async"},
	}
	want := []v1alpha1.Member{
		{VirtualMachine: "vm-0", Role: v1alpha1.RoleReplica, Running: false},
		{VirtualMachine: "vm-1", Role: v1alpha1.RolePrimary, Running: true, LSN: "0/3000000"},
		{VirtualMachine: "vm-2", Role: v1alpha1.RoleReplica, Running: true, LSN: "0/3000000", LagBytes: &lag, Streaming: streaming, SyncState: "async"},
	}
	if diff := cmp.Diff(want, promotedMembers(before, "vm-0", "vm-1")); diff != "" {
		t.Errorf("promotedMembers: -want, +got:\n%s", diff)
	}
	if before[1].Role != v1alpha1.RoleReplica {
		t.Errorf("promotedMembers changed the recorded members it was given")
	}
}

// TestWaitMessage: while a primary is waited for, the message says what
// would replace it, and, for one the provider cannot reach, that a replica
// still streaming from it keeps it (a partition from the provider only, a
// changed host key), rather than promising a promotion.
func TestWaitMessage(t *testing.T) {
	cut := memberState{VM: "a", Err: errors.New("host key changed")}
	dead := memberState{VM: "a", Reachable: true, Fenceable: true, Initialized: true}
	cases := map[string]struct {
		s    snapshot
		why  string
		want string
	}{
		"FenceablePrimary": {
			s:    snapshot{Members: []memberState{dead, standby("b", "0/3000000", "0/3000000")}},
			want: "primary a stopped answering 3s ago; a replica is promoted once it has not answered for 10s",
		},
		"UnreachableWithReplicaStreaming": {
			s:    snapshot{Members: []memberState{cut, streamingStandby("b", "0/3000000")}},
			why:  " (host key changed)",
			want: "primary a stopped answering 3s ago (host key changed); replica b still streams from it, so no replica is promoted while one does",
		},
		"UnreachableWithNoStream": {
			s:    snapshot{Members: []memberState{cut, standby("b", "0/3000000", "0/3000000")}},
			why:  " (host key changed)",
			want: "primary a stopped answering 3s ago (host key changed); a replica is promoted once none streams from it and it has not answered for 10s",
		},
	}
	for name, tc := range cases {
		if got := waitMessage(tc.s, 3*time.Second, 10*time.Second, tc.why); got != tc.want {
			t.Errorf("%s: waitMessage:\nwant %q\ngot  %q", name, tc.want, got)
		}
	}
}

// TestReplicaStreamNote: a replica the primary's view does not list says
// it is not streaming, unless the primary cannot be asked and the replica
// itself reports a stream; one whose server runs but refuses the provider
// says why.
func TestReplicaStreamNote(t *testing.T) {
	cases := map[string]struct {
		primaryCut bool
		r          memberState
		want       string
	}{
		"PrimaryAskedReplicaNotListed": {r: streamingStandby("b", "0/3000000"), want: "replica b is not streaming"},
		"PrimaryCutReplicaStreams": {primaryCut: true, r: streamingStandby("b", "0/3000000"),
			want: "replica b streams from the primary, as it reports itself (the primary cannot be asked)"},
		"PrimaryCutReplicaNoStream": {primaryCut: true, r: standby("b", "0/3000000", "0/3000000"), want: "replica b is not streaming"},
		"PrimaryCutReplicaDown": {primaryCut: true, r: with(streamingStandby("b", "0/3000000"), func(m *memberState) { m.Ready = false }),
			want: "replica b is not streaming"},
		"ReplicaRefusesTheProvider": {r: with(standby("b", "0/3000000", "0/3000000"), func(m *memberState) {
			m.Ready, m.Unanswered = false, `FATAL: Peer authentication failed for user "admin"`
		}), want: `replica b runs but does not answer the provider: FATAL: Peer authentication failed for user "admin"; it is not streaming`},
		"ReplicaStarting": {primaryCut: true, r: with(standby("b", "", ""), func(m *memberState) {
			m.Ready, m.Unanswered = false, "FATAL: the database system is starting up"
		}), want: "replica b runs but does not answer the provider: FATAL: the database system is starting up; it is not streaming"},
	}
	for name, tc := range cases {
		if got := replicaStreamNote(tc.primaryCut, tc.r); got != tc.want {
			t.Errorf("%s: replicaStreamNote: want %q, got %q", name, tc.want, got)
		}
	}
}

// TestUnseenSince: the failover wait of a primary the provider can fence
// starts at the last look that saw it answer, when that look was the one
// before; otherwise at the look that missed it.
func TestUnseenSince(t *testing.T) {
	missed := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	after := 2 * time.Second
	before := missed.Add(-time.Second)
	cases := map[string]struct {
		last        sighting
		reached     bool
		want        time.Time
		wantSighted bool
	}{
		"SeenAtTheLookBefore":  {last: sighting{VM: "a", At: before}, reached: true, want: before, wantSighted: true},
		"SeenExactlyAfterAgo":  {last: sighting{VM: "a", At: missed.Add(-after)}, reached: true, want: missed.Add(-after), wantSighted: true},
		"SeenLongerThanAfter":  {last: sighting{VM: "a", At: missed.Add(-after - time.Millisecond)}, reached: true, want: missed},
		"NoneRemembered":       {reached: true, want: missed},
		"SightingOfAnotherVM":  {last: sighting{VM: "b", At: before}, reached: true, want: missed},
		"SightingAfterTheLook": {last: sighting{VM: "a", At: missed.Add(time.Millisecond)}, reached: true, want: missed},
		"PrimaryNotFenceable":  {last: sighting{VM: "a", At: before}, want: missed},
		"SeenAsTheLookStarted": {last: sighting{VM: "a", At: missed}, reached: true, want: missed, wantSighted: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, sighted := unseenSince(tc.last, "a", missed, after, tc.reached)
			if !got.Equal(tc.want) || sighted != tc.wantSighted {
				t.Errorf("unseenSince: want %s (sighted %v), got %s (sighted %v)", tc.want, tc.wantSighted, got, sighted)
			}
		})
	}
}
