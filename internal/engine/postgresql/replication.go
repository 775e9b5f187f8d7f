package postgresql

import (
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	// ReplicationUser is the role replicas stream the primary's WAL as.
	ReplicationUser = "dbaas_replication"

	// maxWALSenders and maxReplicationSlots leave room beyond the five
	// replicas an instance may have for pg_basebackup's own stream and a
	// replica that reconnects before its old sender has gone.
	maxWALSenders       = 10
	maxReplicationSlots = 10
	// walKeepSize is what the primary keeps for replicas without slots.
	walKeepSize = "512MB"
	// walRetrieveRetryInterval is how soon a standby tries again to get
	// WAL after it failed to.
	walRetrieveRetryInterval = "1s"

	// streamTimeout is a replicated member's wal_sender_timeout and
	// wal_receiver_timeout unless the spec sets them (see render).
	streamTimeout = "5s"
	// basebackupStatusInterval is how often, in seconds, pg_basebackup's
	// WAL stream reports to the primary: well inside streamTimeout.
	basebackupStatusInterval = "1"

	slotPrefix = "dbaas_"
	maxSlotLen = 63
)

// Replication are the settings of one member of a replicated instance. The
// primary and the replicas render the same base, so that a member's role
// is only its primary_conninfo and standby.signal.
type Replication struct {
	// Member names the member: its cluster_name, and the application_name
	// it connects to the primary with.
	Member string
	// SynchronousStandbyNames is the primary's list of replicas that
	// confirm commits; empty for async replication.
	SynchronousStandbyNames string
	// KeepWAL has the primary keep walKeepSize of WAL, for replicas that
	// have no slot.
	KeepWAL bool
	// PrimaryConnInfo is how a replica reaches the primary; empty on the
	// primary.
	PrimaryConnInfo string
	// PrimarySlotName is the replica's slot on the primary, if any.
	PrimarySlotName string
}

// render writes the replication settings. params are the spec's free-form
// parameters, whose stream timeouts are kept.
func (r *Replication) render(line func(name, value string), params map[string]string) error {
	line("wal_level", "'replica'")
	line("max_wal_senders", strconv.Itoa(maxWALSenders))
	line("max_replication_slots", strconv.Itoa(maxReplicationSlots))
	line("hot_standby", "on")
	// pg_rewind needs hint-bit changes in the WAL to bring a former
	// primary back as a replica after a switchover.
	line("wal_log_hints", "on")
	// A standby whose stream failed tries again (restore_command, pg_wal,
	// then a new WAL receiver) only this long after its last try; the
	// default, 5s, is what a replica whose first try at a new primary
	// fails (it is not promoted yet, its slot is not there yet) would
	// add to a failover. A reload with a new primary_conninfo needs no
	// retry: it wakes the standby at once.
	line("wal_retrieve_retry_interval", "'"+walRetrieveRetryInterval+"'")
	// A replica's WAL receiver reports streaming until wal_receiver_timeout
	// after the primary's last message: with the default, a minute, a
	// primary cut off by a partition would look alive to its replicas that
	// long, and the provider replaces a primary it cannot reach only once
	// no replica streams from it. wal_sender_timeout likewise frees a cut
	// off replica's sender on the primary. Each side asks the other for a
	// reply at half its timeout, so a stream with nothing to send stays up.
	// CloudNativePG runs with the same 5s. The spec may set either.
	for _, name := range []string{"wal_sender_timeout", "wal_receiver_timeout"} {
		if _, set := params[name]; !set {
			line(name, "'"+streamTimeout+"'")
		}
	}
	if r.KeepWAL {
		line("wal_keep_size", "'"+walKeepSize+"'")
	}
	for _, kv := range []struct{ name, value string }{
		{"cluster_name", r.Member},
		{"synchronous_standby_names", r.SynchronousStandbyNames},
		{"primary_conninfo", r.PrimaryConnInfo},
		{"primary_slot_name", r.PrimarySlotName},
	} {
		// An empty primary_conninfo or slot is PostgreSQL's default; not
		// writing it keeps the primary's file free of replica settings.
		if kv.value == "" && kv.name != "synchronous_standby_names" {
			continue
		}
		v, err := Quote(kv.value)
		if err != nil {
			return errors.Errorf(errParamNUL, kv.name)
		}
		line(kv.name, v)
	}
	return nil
}

// SyncStandbyNames returns synchronous_standby_names for a quorum of k of
// the named replicas: ANY k ("a", "b"). Names are quoted identifiers, so
// member names with dashes or dots are taken as they are. No replicas or a
// quorum below one means async replication: the empty string.
func SyncStandbyNames(k int32, names []string) string {
	if k < 1 || len(names) == 0 {
		return ""
	}
	q := make([]string, len(names))
	for n, name := range names {
		q[n] = `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
	}
	return "ANY " + strconv.Itoa(int(k)) + " (" + strings.Join(q, ", ") + ")"
}

// SlotName returns the replication slot of a member. Slot names may only
// hold lower-case letters, digits and underscores.
func SlotName(member string) string {
	var b strings.Builder
	b.WriteString(slotPrefix)
	for _, r := range strings.ToLower(member) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if len(s) > maxSlotLen {
		s = s[:maxSlotLen]
	}
	return s
}

// ConnInfo returns the libpq connection string a replica streams from the
// primary with. The password is never in it: libpq reads it from passfile.
// The replica reaches the primary at host and port, which the primary's
// certificate names. With caFile the replica verifies the primary against
// it (verify-full); without it (an instance without TLS) the stream is
// plain text.
func ConnInfo(host string, port int32, member, passfile, caFile string) string {
	kv := []struct{ k, v string }{
		{"host", host},
		{"port", strconv.Itoa(int(port))},
		{"user", ReplicationUser},
		{"application_name", member},
		{"passfile", passfile},
	}
	for _, p := range sslParams(caFile) {
		kv = append(kv, struct{ k, v string }{p[0], p[1]})
	}
	parts := make([]string, len(kv))
	for n, p := range kv {
		parts[n] = p.k + "=" + connInfoValue(p.v)
	}
	return strings.Join(parts, " ")
}

// connInfoValue quotes a libpq keyword value: single quotes, with quotes
// and backslashes escaped by a backslash.
func connInfoValue(v string) string {
	v = strings.ReplaceAll(v, `\`, `\\`)
	v = strings.ReplaceAll(v, `'`, `\'`)
	return "'" + v + "'"
}

// pgpassLine returns a password file line that gives password to the
// replication user for any host, port and database (physical replication
// connections look up the database "replication"). In a password file ':'
// and '\' are escaped with a backslash.
func pgpassLine(password string) string {
	esc := strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace
	return "*:*:*:" + esc(ReplicationUser) + ":" + esc(password) + "\n"
}
