package databaseinstance

import (
	"slices"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

// syncQuorum returns how many replicas must confirm a commit: 0 for async
// replication, else syncQuorum, 1 when unset.
func syncQuorum(p v1alpha1.DatabaseInstanceParameters) int32 {
	r := p.Replication
	if r == nil || r.Mode != v1alpha1.ReplicationSync {
		return 0
	}
	if r.SyncQuorum == nil {
		return 1
	}
	return *r.SyncQuorum
}

// useSlots reports whether replicas stream through slots; they do unless
// switched off.
func useSlots(p v1alpha1.DatabaseInstanceParameters) bool {
	r := p.Replication
	return r == nil || r.Slots == nil || *r.Slots
}

// wantSyncNames is the primary's synchronous_standby_names for the spec.
// Members are named by their VirtualMachine, one member per machine.
func wantSyncNames(p v1alpha1.DatabaseInstanceParameters, replicas []member) string {
	names := make([]string, len(replicas))
	for n, r := range replicas {
		names[n] = r.vm
	}
	return postgresql.SyncStandbyNames(syncQuorum(p), names)
}

// primarySettings are the primary's settings: the instance's, plus the
// replication settings that make it stream to the replicas.
func primarySettings(primary member, replicas []member, p v1alpha1.DatabaseInstanceParameters) postgresql.Settings {
	s := settings(primary.inst, p)
	s.Replication = &postgresql.Replication{
		Member:                  primary.vm,
		SynchronousStandbyNames: wantSyncNames(p, replicas),
		KeepWAL:                 !useSlots(p),
	}
	return s
}

// replicaSettings are a replica's settings: the instance's, so that a
// standby allows what the primary allows (PostgreSQL requires that of
// max_connections and friends), plus how it streams from the primary.
func replicaSettings(replica, primary member, p v1alpha1.DatabaseInstanceParameters) postgresql.Settings {
	s := settings(replica.inst, p)
	s.Replication = &postgresql.Replication{
		Member:          replica.vm,
		KeepWAL:         !useSlots(p),
		PrimaryConnInfo: postgresql.ConnInfo(primary.inst.Host, primary.inst.Port, replica.vm, replica.inst.PassFile(), replica.inst.CAFile()),
	}
	if useSlots(p) {
		s.Replication.PrimarySlotName = postgresql.SlotName(replica.vm)
	}
	if replica.wd != nil {
		s.Parameters = withStatusInterval(s.Parameters, fenceAfter(p))
	}
	return s
}

// slots are the primary's slots the replicas need.
func slots(replicas []member, p v1alpha1.DatabaseInstanceParameters) []string {
	if !useSlots(p) {
		return nil
	}
	out := make([]string, len(replicas))
	for n, r := range replicas {
		out[n] = postgresql.SlotName(r.vm)
	}
	return out
}

// sortedSlots are the slots as the primary lists them (Senders.Slots):
// sorted, none without slots.
func sortedSlots(replicas []member, p v1alpha1.DatabaseInstanceParameters) []string {
	s := slots(replicas, p)
	slices.Sort(s)
	return s
}

// wantSyncState is pg_stat_replication.sync_state of every replica in the
// spec's mode: quorum for ANY k, async otherwise.
func wantSyncState(p v1alpha1.DatabaseInstanceParameters) string {
	if syncQuorum(p) > 0 {
		return "quorum"
	}
	return "async"
}
