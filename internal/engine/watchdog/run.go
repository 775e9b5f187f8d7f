package watchdog

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

const (
	errConfig = "invalid watchdog configuration"

	// lookTimeout bounds one look, so that a server that hangs cannot
	// stop the watchdog looking.
	lookTimeout = 10 * time.Second
)

// Run looks at the member every interval until ctx ends, and fences it
// when Decide says so. It logs one line per decision on c.Log, never the
// password. It returns an error only for a configuration it cannot run
// with; failures to look or to act are logged and tried again on the next
// look.
func Run(ctx context.Context, c Config) error {
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return fmt.Errorf(errConfig+": %w", err)
	}
	log := slog.New(slog.NewTextHandler(c.Log, nil))
	mem := NewMemory(time.Now())
	log.Info("watchdog started", "host", c.Host, "port", c.Port, "dataDir", c.DataDir,
		"heartbeatFile", c.HeartbeatFile, "fenceFile", c.FenceFile, "interval", c.Interval, "fenceAfter", c.FenceAfter)
	// A timer reset after each look, rather than a ticker, keeps a slow
	// look from being followed by looks that catch up at once.
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			log.Info("watchdog stopped")
			return nil
		case <-t.C:
		}
		mem = lookOnce(ctx, c, mem, log)
		t.Reset(c.Interval)
	}
}

// lookOnce looks at the member, decides, acts, and returns the memory
// after the look.
func lookOnce(parent context.Context, c Config, mem Memory, log *slog.Logger) Memory {
	ctx, cancel := context.WithTimeout(parent, lookTimeout)
	defer cancel()
	conn, err := connect(ctx, c)
	if conn != nil {
		defer conn.Close(context.Background())
	}
	l := observe(ctx, c, conn, err)
	if parent.Err() != nil {
		// The watchdog was told to stop during the look (a restart for a
		// new configuration): what the look missed is no fault of the
		// server's, and the next watchdog looks again at once.
		return mem
	}
	// Streaming counts at the replicas' latest reply (RememberReply), not
	// at the look: the look's count only holds replicas that replied
	// within fenceAfter.
	mem = mem.Remember(l.at, 0, l.heartbeat).RememberReply(l.at, l.replied).Answered(l.err == nil)
	if l.err != nil {
		// A watchdog that cannot look must be seen: Decide counts such a
		// server as a primary without replicas when it runs as no
		// standby, and the log says why, every time.
		log.Warn("the member's server did not answer", "error", l.err.Error(), "unanswered", mem.Unanswered,
			"unansweredTotal", mem.UnansweredTotal, "mayBePrimary", l.mayBePrimary)
	}
	d := Decide(mem.Input(l, c.FenceAfter))
	attrs := []any{
		"action", string(d.Action), "primary", l.primary, "answered", l.err == nil, "streaming", l.streaming, "fenced", l.fenced,
		"sinceStreaming", round(l.at.Sub(mem.LastStreaming)), "sinceHeartbeat", round(l.at.Sub(mem.LastHeartbeat)),
		"reason", d.Reason,
	}
	log.Info("decision", attrs...)

	if d.Action == Nothing {
		return mem
	}
	// The fence's statements have their own time, from now, so that a
	// fence runs to its end even when the look took most of its time or
	// the watchdog is told to stop meanwhile; pg_ctl stop is bounded by
	// its own timeout.
	actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), lookTimeout)
	defer acancel()
	var aerr error
	switch d.Action {
	case StopWrites:
		aerr = stopWrites(actx, c, conn)
	case StopServer:
		aerr = stopServer(c)
	}
	if aerr != nil {
		log.Error("action failed; the next look tries again", "action", string(d.Action), "error", aerr.Error())
		return mem
	}
	log.Info("action done", "action", string(d.Action), "fenceFile", c.FenceFile, "epoch", c.Epoch)
	return mem
}
