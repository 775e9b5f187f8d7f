package postgresql

import (
	"context"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errSenders = "cannot read pg_stat_replication"

	// streamingState is pg_stat_replication.state of a replica that
	// streams.
	streamingState = "streaming"
)

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
	c, err := i.ConnectAdmin(ctx, adminPassword)
	if err != nil {
		return Senders{ByName: map[string]Sender{}}, err
	}
	defer c.Close(context.Background())
	_, snd, err := readServer(ctx, c)
	return snd, errors.Wrap(err, errSenders)
}
