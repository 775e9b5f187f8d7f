// Package watchdog is the self-fencing watchdog of a PostgreSQL member: a
// small process beside every member that stops a primary taking writes once
// nobody can see it any more. A primary the provider cannot reach cannot be
// fenced by the provider, so before the provider may promote one of its
// replicas the old primary must have stopped by itself: the watchdog stops it
// when it has had no replica streaming from it and no heartbeat from the
// provider for fenceAfter. Either one alive keeps it running: a replica that
// streams means the primary is not isolated, and a provider that renews the
// heartbeat sees the primary and will not fail over.
//
// The bound this gives: an isolated primary takes its last write no later
// than fenceAfter after the later of its last streaming replica and its
// last heartbeat, plus one interval (the look that finds it out) and the
// time of that look and of the fence (connecting, ending the sessions,
// pg_ctl stop: well under a second on an idle machine). A watchdog that
// (re)starts counts from its start. The provider may promote a replica of
// an unreachable primary only after longer than that (failover.after >
// fenceAfter + interval + a margin), counted from when it last renewed
// the heartbeat.
//
// decide.go holds the decision, a pure function of what the watchdog saw;
// observe.go the look at the server, act.go the fence, run.go the loop,
// config.go its settings, unit.go and local.go the two ways it runs on a
// member.
package watchdog

import (
	"fmt"
	"time"
)

// An Action is what the watchdog does after a look.
type Action string

// The actions Decide chooses from.
const (
	// Nothing: the member is a replica, a server that does not run, or a
	// primary that is not isolated (yet).
	Nothing Action = "nothing"
	// StopWrites fences an isolated primary: default_transaction_read_only
	// on, client sessions ended, the fence marker written, and the server
	// stopped.
	StopWrites Action = "stop-writes"
	// StopServer stops a fenced member that nonetheless runs as a
	// primary, for instance after a fence whose stop failed half way.
	StopServer Action = "stop-server"
)

// An Input is everything Decide needs: one look at the server and what the
// watchdog remembers from the looks before.
type Input struct {
	// Primary is true when the server answered and is not in recovery.
	Primary bool
	// Unanswered is true when the server did not answer the look (no
	// connection, or the query failed).
	Unanswered bool
	// MayBePrimary is true, for a server that did not answer, when a
	// postmaster runs on the member's data directory and that directory
	// is marked no standby: it may be a primary taking writes from
	// sessions the watchdog cannot see.
	MayBePrimary bool
	// Streaming is how many replicas pg_stat_replication shows in state
	// streaming now.
	Streaming int
	// LastStreaming is when a replica was last seen streaming, or when the
	// watchdog started if none has been seen since.
	LastStreaming time.Time
	// LastHeartbeat is when the provider last renewed its heartbeat, or
	// when the watchdog started if that is later.
	LastHeartbeat time.Time
	// Now is the time of the look.
	Now time.Time
	// FenceAfter is how long a primary may go without a replica streaming
	// and without a heartbeat before it fences itself.
	FenceAfter time.Duration
	// Fenced is true when the member's fence marker exists.
	Fenced bool
}

// A Decision is an action and why it was chosen, for the watchdog's log.
type Decision struct {
	Action Action
	Reason string
}

// Decide chooses what to do after a look. A replica never fences itself: it
// takes no writes, and it is what the provider may promote. A primary
// fences itself only when it has been isolated for FenceAfter: no replica
// streaming now, none seen streaming for FenceAfter, and no heartbeat from
// the provider for FenceAfter. A fenced member that runs as a primary is
// stopped at once: the fence says another member may have been promoted.
//
// A server that does not answer yet runs on a data directory marked no
// standby is counted as a primary that shows no replica: the watchdog
// cannot see its replicas, so only the heartbeat and the replicas it last
// saw keep it running. Were it counted as nothing, a watchdog that cannot
// log in (a wrong socket, a refused login, connections used up) would
// never fence the primary it guards, and the provider, which promotes a
// replica once fenceAfter and a margin have passed, would make a second
// primary beside one still taking writes.
func Decide(in Input) Decision {
	unseen := !in.Primary && in.Unanswered && in.MayBePrimary
	switch {
	case !in.Primary && !unseen && in.Unanswered:
		return Decision{Nothing, "does not answer, and no server runs here as a primary (stopped, or a standby): nothing to fence"}
	case !in.Primary && !unseen:
		return Decision{Nothing, "not a primary (a replica): nothing to fence"}
	case in.Fenced && unseen:
		return Decision{StopServer, "the member is fenced, does not answer, and runs on a data directory marked no standby"}
	case in.Fenced:
		return Decision{StopServer, "the member is fenced yet runs as a primary"}
	case in.Streaming > 0:
		return Decision{Nothing, fmt.Sprintf("%d replica(s) streaming", in.Streaming)}
	}
	what := ""
	if unseen {
		what = "does not answer yet runs as no standby, counted as a primary without replicas: "
	}
	stream, beat := in.Now.Sub(in.LastStreaming), in.Now.Sub(in.LastHeartbeat)
	if stream < in.FenceAfter || beat < in.FenceAfter {
		return Decision{Nothing, fmt.Sprintf("%sno replica streaming for %s and no heartbeat for %s, fencing after %s of both",
			what, round(stream), round(beat), in.FenceAfter)}
	}
	return Decision{StopWrites, fmt.Sprintf("%sisolated: no replica streaming for %s and no heartbeat for %s, at least %s",
		what, round(stream), round(beat), in.FenceAfter)}
}

// round keeps log lines short.
func round(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }

// Memory is what the watchdog remembers between looks.
type Memory struct {
	// LastStreaming is when a replica was last seen streaming.
	LastStreaming time.Time
	// LastHeartbeat is when the provider last renewed its heartbeat, as
	// far as the watchdog credits it.
	LastHeartbeat time.Time
	// HeartbeatMTime is the heartbeat file's modification time at the
	// last look; a renewal is a change of it.
	HeartbeatMTime time.Time
	// Unanswered counts the looks in a row the server did not answer;
	// UnansweredTotal all of them since the watchdog started. They are
	// logged, so that a watchdog that cannot log in is seen at once
	// rather than found out by a fence that never came.
	Unanswered, UnansweredTotal int
}

// Answered returns the memory after a look the server answered (ok) or not.
func (m Memory) Answered(ok bool) Memory {
	if ok {
		m.Unanswered = 0
		return m
	}
	m.Unanswered++
	m.UnansweredTotal++
	return m
}

// NewMemory is the memory of a watchdog that starts at start. It has no
// history, so it takes its start for the last time it saw both a replica
// and a heartbeat: a watchdog that restarts never fences at once, only
// after FenceAfter of its own looks.
func NewMemory(start time.Time) Memory {
	return Memory{LastStreaming: start, LastHeartbeat: start}
}

// Remember returns the memory after a look at now that saw streaming
// replicas and the heartbeat file modified at mtime (zero when there is no
// file). Only a renewal counts: a modification time that changed since the
// last look. It is credited at that time, or at now when it lies in the
// future, so that a clock set back or a file touched with a future time
// keeps a primary alive for no more than FenceAfter after the look that saw
// it. Memory only moves forward.
func (m Memory) Remember(now time.Time, streaming int, mtime time.Time) Memory {
	if streaming > 0 && now.After(m.LastStreaming) {
		m.LastStreaming = now
	}
	if mtime.IsZero() || mtime.Equal(m.HeartbeatMTime) {
		return m
	}
	m.HeartbeatMTime = mtime
	if mtime.After(now) {
		mtime = now
	}
	if mtime.After(m.LastHeartbeat) {
		m.LastHeartbeat = mtime
	}
	return m
}

// RememberReply returns the memory after a look at now that found a
// replica's latest reply at replied (zero when none streams): a replica
// that replied streamed then, not at the look, so an isolated primary is
// counted from its replicas' last word. A reply stamped in the future
// counts at now, and memory only moves forward.
func (m Memory) RememberReply(now, replied time.Time) Memory {
	if replied.After(now) {
		replied = now
	}
	if replied.After(m.LastStreaming) {
		m.LastStreaming = replied
	}
	return m
}

// Input is the input to Decide for look l.
func (m Memory) Input(l look, fenceAfter time.Duration) Input {
	return Input{
		Primary: l.primary, Streaming: l.streaming, Fenced: l.fenced,
		Unanswered: l.err != nil, MayBePrimary: l.mayBePrimary,
		LastStreaming: m.LastStreaming, LastHeartbeat: m.LastHeartbeat,
		Now: l.at, FenceAfter: fenceAfter,
	}
}
