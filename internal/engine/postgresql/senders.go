package postgresql

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"
)

const errSenders = "cannot read pg_stat_replication"

// A Sender is the primary's view of one replica that streams from it.
type Sender struct {
	// ApplicationName names the replica's member.
	ApplicationName string
	// State is pg_stat_replication.state, for example streaming.
	State string
	// SyncState is async, potential, sync or quorum.
	SyncState string
	// LagBytes is how far the replica's replay is behind the primary's
	// current WAL position.
	LagBytes int64
}

// Senders is what a primary reports about replication.
type Senders struct {
	// SynchronousStandbyNames is the setting in effect.
	SynchronousStandbyNames string
	// ByName are the connected replicas by application_name.
	ByName map[string]Sender
	// Slots are the provider's replication slots on the primary, sorted:
	// a slot that no replica needs any more keeps WAL until it is dropped.
	Slots []string
}

// Senders reads pg_stat_replication on a primary.
func (i *Instance) Senders(ctx context.Context, adminPassword string) (Senders, error) {
	out := Senders{ByName: map[string]Sender{}}
	c, err := i.ConnectAdmin(ctx, adminPassword)
	if err != nil {
		return out, err
	}
	defer c.Close(context.Background())
	if err := c.QueryRow(ctx, "SELECT current_setting('synchronous_standby_names')").Scan(&out.SynchronousStandbyNames); err != nil {
		return out, errors.Wrap(err, errSenders)
	}
	rows, err := c.Query(ctx, `SELECT application_name, COALESCE(state, ''), COALESCE(sync_state, ''),
		COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::bigint
		FROM pg_stat_replication`)
	if err != nil {
		return out, errors.Wrap(err, errSenders)
	}
	senders, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Sender, error) {
		var s Sender
		err := r.Scan(&s.ApplicationName, &s.State, &s.SyncState, &s.LagBytes)
		return s, err
	})
	if err != nil {
		return out, errors.Wrap(err, errSenders)
	}
	slots, err := c.Query(ctx, "SELECT slot_name::text FROM pg_replication_slots WHERE starts_with(slot_name, $1) ORDER BY slot_name", slotPrefix)
	if err != nil {
		return out, errors.Wrap(err, errSenders)
	}
	if out.Slots, err = pgx.CollectRows(slots, pgx.RowTo[string]); err != nil {
		return out, errors.Wrap(err, errSenders)
	}
	for _, s := range senders {
		// A replica that reconnects can briefly have two senders; the one
		// that streams is the one that counts.
		if old, ok := out.ByName[s.ApplicationName]; ok && old.State == "streaming" {
			continue
		}
		out.ByName[s.ApplicationName] = s
	}
	return out, nil
}
