package databaseinstance

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

// selfFenceMargin is how much longer than fenceAfter the provider waits
// before it promotes a replica in place of a primary it cannot reach. The
// primary's watchdog counts fenceAfter on its own clock, looks only every
// so often, and then still has to stop taking writes; the provider counts
// from when it first missed the primary, which can be later than when the
// primary last heard from anyone. The margin covers all of that, so that
// the old primary has fenced itself before the new one takes writes.
const selfFenceMargin = 5 * time.Second

// An action is what the failover decision says to do next.
type action int

const (
	// actNone: the primary answers, or is not being waited for.
	actNone action = iota
	// actWait: the primary is down, but not yet for failover.after.
	actWait
	// actPromote: promote the replica at decision.Promote.
	actPromote
	// actRestart: no replica can take over; the primary is started
	// again where it is.
	actRestart
	// actRefuse: nothing is promoted and nothing restarted, for the
	// reason in decision.Message.
	actRefuse
)

// A decision is what to do about a primary that stopped answering.
type decision struct {
	Action action
	// Wait is how much longer to wait, for actWait.
	Wait time.Duration
	// Promote is the index in the snapshot of the replica to promote, and
	// LSN how far it got, for actPromote.
	Promote int
	LSN     string
	// Message says what was decided and why, for the status and events.
	Message string
}

// A failoverPolicy is what the failover decision takes besides the
// snapshot: the instance's settings and what the provider recorded.
type failoverPolicy struct {
	// Enabled and After are spec.forProvider.failover.
	Enabled bool
	After   time.Duration
	// Synced are the replicas that counted for commits when the primary
	// was last seen.
	Synced []string
	// SelfFencing is true when a watchdog on the primary is known to
	// stop it taking writes once it has had no replica streaming and no
	// heartbeat from the provider for FenceAfter.
	SelfFencing bool
	FenceAfter  time.Duration
}

// failoverDecision decides what to do about the snapshot's primary, which
// has not answered for down when tracked. A primary the provider can fence
// (it is reachable with its server dead, or its fence is on a disk the
// provider reaches) is replaced by the best candidate after failover.after.
// A primary the provider cannot reach at all may be partitioned from the
// provider only, still taking writes: its best replica is promoted only
// when a watchdog fences the primary on its own, failover.after leaves the
// watchdog time to do so, and no replica the provider reaches still
// streams from it.
func failoverDecision(s snapshot, tracked bool, down time.Duration, p failoverPolicy) decision {
	pr := s.primary()
	if pr.Ready || !tracked || !p.Enabled {
		return decision{Action: actNone}
	}
	partitioned := !pr.Fenceable
	if partitioned {
		if !p.SelfFencing {
			return decision{Action: actRefuse, Message: fmt.Sprintf("primary %s cannot be reached and cannot be fenced: "+
				"no replica is promoted, lest two primaries take writes", pr.VM)}
		}
		if p.After <= p.FenceAfter+selfFenceMargin {
			return decision{Action: actRefuse, Message: fmt.Sprintf("primary %s cannot be reached, and failover.after (%s) is not above "+
				"the primary's fenceAfter (%s) plus a safety margin of %s: no replica is promoted before the primary has fenced itself",
				pr.VM, p.After, p.FenceAfter, selfFenceMargin)}
		}
	}
	if down < p.After {
		return decision{Action: actWait, Wait: p.After - down}
	}
	if partitioned {
		if r, streams := streamingReplica(s); streams {
			return decision{Action: actRefuse, Message: fmt.Sprintf("primary %s cannot be reached, but replica %s still streams from it: "+
				"only the provider lost sight of the primary, so no replica is promoted", pr.VM, r)}
		}
	}
	c, lsn, ok := chooseCandidate(s, p.Synced)
	switch {
	case !ok && partitioned:
		return decision{Action: actRefuse, Message: fmt.Sprintf(errNoCandidate, pr.VM, down.Round(time.Second))}
	case !ok:
		return decision{Action: actRestart, Message: fmt.Sprintf(errNoCandidate, pr.VM, down.Round(time.Second))}
	}
	return decision{Action: actPromote, Promote: c, LSN: lsn, Message: fmt.Sprintf("primary %s stopped answering for %s; promoted %s (most advanced, LSN %s)",
		pr.VM, down.Round(time.Second), s.Members[c].VM, lsn)}
}

// streamingReplica is the first replica the provider reaches that reports,
// from its own WAL receiver, that it streams from the primary.
func streamingReplica(s snapshot) (string, bool) {
	for n, m := range s.Members {
		if n != s.Primary && m.Reachable && m.Streaming {
			return m.VM, true
		}
	}
	return "", false
}

// waitMessage says why the snapshot's primary, which has not answered for
// down (why: the reason its machine gave, if any), is not replaced yet.
// One the provider cannot reach is replaced only once no replica streams
// from it, which the message says when one still does: the provider alone
// may have lost sight of it (a partition, a changed host key).
func waitMessage(s snapshot, down, after time.Duration, why string) string {
	pr := s.primary()
	msg := fmt.Sprintf("primary %s stopped answering %s ago%s; ", pr.VM, down.Round(100*time.Millisecond), why)
	if !pr.Fenceable {
		if r, streams := streamingReplica(s); streams {
			return msg + fmt.Sprintf("replica %s still streams from it, so no replica is promoted while one does", r)
		}
		return msg + fmt.Sprintf("a replica is promoted once none streams from it and it has not answered for %s", after)
	}
	return msg + fmt.Sprintf("a replica is promoted once it has not answered for %s", after)
}

// replicaStreamNote says what is known of the stream of a replica the
// primary does not list as streaming. When the primary cannot be asked,
// only the replica's own WAL receiver says whether it streams.
func replicaStreamNote(primaryCut bool, r memberState) string {
	switch {
	case primaryCut && r.Ready && r.InRecovery && r.Streaming:
		return "replica " + r.VM + " streams from the primary, as it reports itself (the primary cannot be asked)"
	case !r.Ready && r.Unanswered != "":
		return unansweredNote("replica "+r.VM, r.Status) + "; it is not streaming"
	}
	return "replica " + r.VM + " is not streaming"
}

// unansweredNote says that a member's running server did not take the
// provider's admin session, and why: a server still starting says so, and
// a login the server or the machine's sshd refuses names the cause.
func unansweredNote(member string, s postgresql.Status) string {
	return member + " runs but does not answer the provider: " + s.Unanswered
}

// chooseCandidate is the replica to promote: the first of sortCandidates.
// It returns its index in the snapshot and how far it got.
func chooseCandidate(s snapshot, synced []string) (int, string, bool) {
	cs := sortCandidates(s, synced)
	if len(cs) == 0 {
		return 0, "", false
	}
	_, lsn := position(s.Members[cs[0]])
	return cs[0], lsn, true
}

// sortCandidates returns the indexes of the members that could be
// promoted, best first. A candidate is a replica that answers as a
// standby, holds data, is not fenced and reports a WAL position. The most
// advanced comes first (the furthest WAL position it received or
// replayed: promotion replays all it received), then one that counted for
// commits when the primary was last seen, then by name, so that the same
// snapshot always gives the same answer. With ANY k replication every
// acknowledged commit was flushed by at least one replica, so the most
// advanced one holds them all.
func sortCandidates(s snapshot, synced []string) []int {
	var out []int
	for n, m := range s.Members {
		if n == s.Primary || !m.Reachable || m.Off != "" || m.Err != nil || !m.Initialized || m.Fenced || !m.Ready || !m.InRecovery {
			continue
		}
		if _, lsn := position(m); lsn == "" {
			continue
		}
		out = append(out, n)
	}
	slices.SortStableFunc(out, func(a, b int) int {
		ma, mb := s.Members[a], s.Members[b]
		pa, _ := position(ma)
		pb, _ := position(mb)
		if c := cmp.Compare(pb, pa); c != 0 {
			return c
		}
		sa, sb := slices.Contains(synced, ma.VM), slices.Contains(synced, mb.VM)
		if sa != sb {
			if sa {
				return -1
			}
			return 1
		}
		return cmp.Compare(ma.VM, mb.VM)
	})
	return out
}

// position is the further of a member's replayed and received WAL
// positions, with the LSN that says it; none when it reports neither.
func position(m memberState) (uint64, string) {
	pos, lsn := uint64(0), ""
	for _, l := range []string{m.LSN, m.ReceiveLSN} {
		if v, err := postgresql.ParseLSN(l); err == nil && (lsn == "" || v > pos) {
			pos, lsn = v, l
		}
	}
	return pos, lsn
}

// answeredAsPrimary reports whether the member on vm answered as the
// primary when the instance was last observed (recorded, the status's
// members). Only such a primary has stopped answering and is waited for
// and replaced; one being created or started has not answered yet and is
// started where it is.
func answeredAsPrimary(recorded []v1alpha1.Member, vm string) bool {
	for _, m := range recorded {
		if m.VirtualMachine == vm && m.Role == v1alpha1.RolePrimary && m.Running {
			return true
		}
	}
	return false
}

// promotedMembers are the recorded members as a failover's promotion left
// them: the promoted member the primary, answering, with no watchdog (its
// watchdog was stopped before the promotion and starts again once the
// replicas stream from it: until then the provider must not count on it
// fencing itself), the former primary a fenced replica that does not run,
// the others as they were. The pass that
// promotes records them with the secret that names the new primary. Were
// the members left as that pass observed them before the promotion, and
// the next pass's status lost (it may read the instance from a cache that
// lags the promotion's write, and its status write then conflicts), a new
// primary killed before any later look recorded it would not count as a
// primary that stopped answering: it would be started again where it is
// instead of being failed over.
func promotedMembers(recorded []v1alpha1.Member, former, promoted string) []v1alpha1.Member {
	out := make([]v1alpha1.Member, 0, len(recorded))
	for _, m := range recorded {
		switch m.VirtualMachine {
		case promoted:
			m.Role, m.Running, m.Watchdog = v1alpha1.RolePrimary, true, false
			m.LagBytes, m.Streaming, m.SyncState = nil, "", ""
		case former:
			m.Role, m.Running, m.LSN = v1alpha1.RoleReplica, false, ""
		}
		out = append(out, m)
	}
	return out
}

// A sighting is when a look last saw the primary on VM answer, as the
// provider remembers it (see sightings).
type sighting struct {
	VM string
	At time.Time
}

// unseenSince is when the wait before a failover starts for the primary on
// vm, which the look begun at lookedAt found not answering: when a look
// last saw it answer, so that a primary that died right after a look is
// replaced failover.after after that look, not after the first look that
// missed it, which comes up to a poll interval later. At is when that
// look's snapshot was complete, no earlier than the primary's answer, so
// the primary has truly not been seen for the whole wait.
//
// The look that missed the primary starts the wait instead (as it did
// before sightings were kept) when the sighting says nothing of the look
// before: none is remembered (the provider started since), it is of
// another member, or it is older than failover.after (the provider did not
// look meanwhile: paused, or too busy). So does a primary the provider
// cannot fence (reached): one cut off from the provider may still take
// writes until its watchdog fences it, which counts fenceAfter from the
// provider's last heartbeat; a look that missed the primary may have
// renewed that heartbeat after the last sighting, and the self-fencing
// margin is counted from the look that missed it.
func unseenSince(last sighting, vm string, lookedAt time.Time, after time.Duration, reached bool) (time.Time, bool) {
	if !reached || last.VM != vm || last.At.IsZero() || last.At.After(lookedAt) || lookedAt.Sub(last.At) > after {
		return lookedAt, false
	}
	return last.At, true
}
