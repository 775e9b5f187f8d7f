package benchinstance

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/databaseinstance"
)

// A timeline is when the benchmark first saw each step of one failover,
// counted from the kill, so that a slow failover says which step took the
// time. The instance's annotations show the controller's steps: the look
// that found the primary down records primary-down-since (downSince is
// its value: when that look began), the failover records the next epoch
// before it promotes. The members show the rest, asked over connections
// opened before the kill: the first that is out of recovery (promoted),
// then lists a replica streaming from it, and one that counts for commits
// (sync or quorum; sync instances only).
type timeline struct {
	start time.Time
	epoch int64

	detected, downSince, decided, promoted, streaming, syncStreaming time.Duration

	// members are connections to the members other than the killed
	// primary.
	members map[string]*pinger
}

// watchFailover opens connections to every member but old, the primary
// about to be killed, and notes the instance's epoch.
func watchFailover(ctx context.Context, cr credentials, addrs map[string]string, old string, di *v1alpha1.DatabaseInstance) *timeline {
	t := &timeline{epoch: epochOf(di), members: map[string]*pinger{}}
	for vm, a := range addrs {
		if vm == old {
			continue
		}
		host, port, _ := net.SplitHostPort(a)
		p, _ := strconv.Atoi(port)
		t.members[vm] = &pinger{cr: cr, host: host, port: p}
		// A member not reached now is tried again at each look.
		_ = t.members[vm].open(ctx)
	}
	return t
}

// epochOf is the epoch of the instance's latest promotion.
func epochOf(di *v1alpha1.DatabaseInstance) int64 {
	var rec struct {
		Epoch int64 `json:"epoch"`
	}
	_ = json.Unmarshal([]byte(di.GetAnnotations()[databaseinstance.AnnotationEpoch]), &rec)
	return rec.Epoch
}

// look records the steps seen since the last look in di, just read, and
// on the members.
func (t *timeline) look(ctx context.Context, di *v1alpha1.DatabaseInstance) {
	now := time.Since(t.start)
	if v, ok := di.GetAnnotations()[databaseinstance.AnnotationPrimaryDownSince]; ok && t.detected == 0 {
		t.detected = now
		if at, err := time.Parse(time.RFC3339Nano, v); err == nil {
			t.downSince = at.Sub(t.start)
		}
	}
	if t.decided == 0 && epochOf(di) > t.epoch {
		t.decided = now
	}
	if t.streaming != 0 && (t.syncStreaming != 0 || !syncMode(di)) {
		return
	}
	for _, p := range t.members {
		if err := p.open(ctx); err != nil {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, time.Second)
		var recovering bool
		var streams, syncs int
		err := p.conn.QueryRow(qctx, `SELECT pg_is_in_recovery(),
			(SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'),
			(SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum'))`).Scan(&recovering, &streams, &syncs)
		cancel()
		if err != nil {
			p.close(ctx)
			continue
		}
		at := time.Since(t.start)
		if !recovering && t.promoted == 0 {
			t.promoted = at
		}
		if !recovering && streams > 0 && t.streaming == 0 {
			t.streaming = at
		}
		if !recovering && syncs > 0 && t.syncStreaming == 0 {
			t.syncStreaming = at
		}
	}
}

func syncMode(di *v1alpha1.DatabaseInstance) bool {
	r := di.Spec.ForProvider.Replication
	return r != nil && r.Mode == v1alpha1.ReplicationSync
}

func (t *timeline) close(ctx context.Context) {
	for _, p := range t.members {
		p.close(ctx)
	}
}

// String lists the steps in seconds from the kill; 0 is a step not seen.
func (t *timeline) String() string {
	return fmt.Sprintf("down-since %.2f s, seen down %.2f s, epoch %.2f s, promoted %.2f s, replica streaming %.2f s, counting for commits %.2f s",
		t.downSince.Seconds(), t.detected.Seconds(), t.decided.Seconds(), t.promoted.Seconds(), t.streaming.Seconds(), t.syncStreaming.Seconds())
}
