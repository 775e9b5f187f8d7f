/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

import (
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// Engine names a database engine.
type Engine string

// Engines.
const (
	EnginePostgreSQL Engine = "postgresql"
)

// Topology is how an instance's members are arranged.
type Topology string

// Topologies.
const (
	// TopologySingle is one member that takes reads and writes.
	TopologySingle Topology = "single"
	// TopologyPrimary is one primary that takes writes and streams its
	// changes to read-only replicas, one member per VirtualMachine.
	TopologyPrimary Topology = "primary"
)

// TypeFailover is the condition of the latest automatic failover.
const TypeFailover xpv2.ConditionType = "Failover"

// Member roles.
const (
	RolePrimary = "primary"
	RoleReplica = "replica"
)

// ReplicationMode is when the primary acknowledges a commit.
type ReplicationMode string

// Replication modes.
const (
	// ReplicationAsync acknowledges a commit once the primary wrote it.
	ReplicationAsync ReplicationMode = "async"
	// ReplicationSync acknowledges a commit once syncQuorum replicas
	// flushed it too.
	ReplicationSync ReplicationMode = "sync"
)

// ReplicationParameters are how the primary streams its changes.
// +kubebuilder:validation:XValidation:rule="self.mode == 'sync' || !has(self.syncQuorum)",message="syncQuorum is only valid with mode sync"
type ReplicationParameters struct {
	// Mode is async (a commit is acknowledged by the primary alone) or
	// sync (by the primary and syncQuorum replicas).
	// +kubebuilder:validation:Enum=async;sync
	// +kubebuilder:default=async
	// +optional
	Mode ReplicationMode `json:"mode,omitempty"`

	// SyncQuorum is how many replicas, any of them, must confirm a commit in
	// sync mode (synchronous_standby_names = 'ANY k (...)'). Defaults to 1.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=5
	// +optional
	SyncQuorum *int32 `json:"syncQuorum,omitempty"`

	// Slots gives every replica a physical replication slot on the primary,
	// so that the primary keeps the WAL a replica has not received yet.
	// Without slots the primary keeps a fixed amount (wal_keep_size).
	// +kubebuilder:default=true
	// +optional
	Slots *bool `json:"slots,omitempty"`
}

// FailoverParameters are when the provider promotes a replica on its own.
// The 5s in the rule below is selfFenceMargin of the DatabaseInstance
// controller (internal/controller/databaseinstance/decide.go): keep them
// equal.
// +kubebuilder:validation:XValidation:rule="!has(self.fenceAfter) || (has(self.after) && duration(self.after) > duration(self.fenceAfter) + duration('5s'))",message="failover.after must exceed failover.fenceAfter plus the safety margin selfFenceMargin (5s), so that a partitioned primary has fenced itself before a replica is promoted"
type FailoverParameters struct {
	// Enabled has the provider promote the most advanced replica when the
	// primary stops answering for After. Defaults to true with topology
	// primary. Disabled, a primary that stops answering is only restarted.
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// After is how long the primary must not answer (connection refused or
	// timed out), across reconciles and provider restarts, before a replica
	// is promoted: a Go duration of at least 2s. Defaults to 10s.
	// +kubebuilder:default="10s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('2s')",message="failover.after must be at least 2s"
	// +optional
	After *metav1.Duration `json:"after,omitempty"`

	// FenceAfter is how long a primary that has had no replica streaming
	// from it and no heartbeat from the provider keeps taking writes
	// before the self-fencing watchdog on its machine stops it: a Go
	// duration of at least 2s. Defaults to 10s. A primary the provider
	// cannot reach at all is replaced only when after exceeds fenceAfter
	// plus a safety margin of 5s; with async replication, writes an
	// isolated primary acknowledged during that time may be lost.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$`
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('2s')",message="failover.fenceAfter must be at least 2s"
	// +optional
	FenceAfter *metav1.Duration `json:"fenceAfter,omitempty"`
}

// MetricsParameters are how each member exports its PostgreSQL metrics.
// +kubebuilder:validation:XValidation:rule="!has(self.node) || !has(self.node.port) || self.node.port != (has(self.port) ? self.port : 9187)",message="metrics.node.port must differ from metrics.port: both exporters listen on the member's address"
type MetricsParameters struct {
	// Enabled runs the exporter beside each member; removing the block or
	// setting false stops it.
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// Port the exporter listens on, on the member's address, on a
	// VirtualMachine of a cloud backend. On the local backend, whose
	// machines share one host, the exporter takes the second port of the
	// machine's own range instead, so that members never collide.
	// +kubebuilder:default=9187
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`

	// Node runs Debian's prometheus-node-exporter beside each member too,
	// for the machine's file systems, CPU, memory and load, as
	// status.atProvider.members[].nodeMetricsEndpoint names it. On
	// whenever metrics are.
	// +kubebuilder:default={}
	// +optional
	Node *NodeMetricsParameters `json:"node,omitempty"`
}

// NodeMetricsParameters are how each member's machine exports its own
// metrics: the disk-nearly-full alert reads them.
type NodeMetricsParameters struct {
	// Enabled runs node_exporter beside each member while metrics are on;
	// false stops it.
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// Port node_exporter listens on, on the member's address, on a
	// VirtualMachine of a cloud backend. On the local backend it takes the
	// third port of the machine's own range instead.
	// +kubebuilder:default=9100
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`
}

// DatabaseInstanceParameters are the desired properties of a database engine
// running on one or more virtual machines.
// +kubebuilder:validation:XValidation:rule="self.topology != 'primary' || has(self.replicas)",message="topology primary needs replicas"
// +kubebuilder:validation:XValidation:rule="self.topology == 'primary' || !has(self.replicas)",message="replicas is only valid with topology primary"
// +kubebuilder:validation:XValidation:rule="self.topology == 'primary' || !has(self.replication)",message="replication is only valid with topology primary"
// +kubebuilder:validation:XValidation:rule="!has(self.virtualMachines) || !has(self.replicas) || size(self.virtualMachines) == self.replicas + 1",message="topology primary runs one member per virtual machine: virtualMachines must list replicas + 1 machines"
// +kubebuilder:validation:XValidation:rule="self.topology == 'primary' || !has(self.primary)",message="primary is only valid with topology primary"
// +kubebuilder:validation:XValidation:rule="self.topology == 'primary' || !has(self.failover)",message="failover is only valid with topology primary"
// +kubebuilder:validation:XValidation:rule="!has(self.primary) || !has(self.virtualMachines) || self.primary in self.virtualMachines",message="primary must be one of virtualMachines"
// +kubebuilder:validation:XValidation:rule="!has(self.replication) || !has(self.replication.syncQuorum) || !has(self.replicas) || self.replication.syncQuorum <= self.replicas",message="replication.syncQuorum cannot exceed replicas"
// +kubebuilder:validation:XValidation:rule="has(self.bootstrap) == has(oldSelf.bootstrap)",message="bootstrap can be neither added to nor removed from an instance that exists: it only applies when the instance is created"
type DatabaseInstanceParameters struct {
	// Engine that runs on the machines.
	// +kubebuilder:validation:Enum=postgresql
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="engine is immutable"
	Engine Engine `json:"engine"`

	// Version is the engine's major version, for example "15".
	// +kubebuilder:validation:Pattern=`^[0-9]+(\.[0-9]+)?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="version is immutable; upgrades are a separate operation"
	Version string `json:"version"`

	// Topology of the instance's members: single, or primary with
	// replicas. A live single instance may become primary (with replicas
	// and their machines listed after its own): its member becomes the
	// primary, restarted once for the settings a primary reads at start
	// (wal_log_hints, cluster_name), and the replicas are copied from it.
	// A primary instance cannot become single.
	// +kubebuilder:validation:Enum=single;primary
	// +kubebuilder:default=single
	// +kubebuilder:validation:XValidation:rule="self == oldSelf || (oldSelf == 'single' && self == 'primary')",message="topology can only change from single to primary, which adds replicas; a primary instance cannot become single: lower replicas (down to 1) instead, or create a new single instance and copy the data"
	// +optional
	Topology Topology `json:"topology,omitempty"`

	// Replicas is how many read-only replicas follow the primary when the
	// topology is primary. They run on the VirtualMachines after the first,
	// one member per VirtualMachine. It may change on a live instance,
	// together with virtualMachines: a machine added to the list gets a
	// replica, copied from the current primary by a base backup through
	// its own slot; the replica of a machine taken off the list is
	// stopped, its slot dropped and its data directory removed (it is
	// only a copy, and one whose slot is gone could not resume streaming).
	// The primary's machine cannot be taken off: switch over first.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=5
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Replication is how the primary streams changes to the replicas.
	// +optional
	Replication *ReplicationParameters `json:"replication,omitempty"`

	// Primary is the VirtualMachine whose member should be the primary;
	// the first of VirtualMachines when unset. Changing it is a switchover:
	// the old primary stops cleanly, the named replica is promoted once it
	// has replayed everything, the other replicas follow it and the old
	// primary rejoins as a replica. An automatic failover leaves it alone:
	// status.atProvider.primary says which member took over, and the
	// failover's choice stands until this field is changed again.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Primary string `json:"primary,omitempty"`

	// Failover is when a replica is promoted because the primary stopped
	// answering. Only with topology primary; on by default.
	// +optional
	Failover *FailoverParameters `json:"failover,omitempty"`

	// Metrics runs Debian's prometheus-postgres-exporter beside each
	// member, as status.atProvider.members[].metricsEndpoint names it.
	// None when unset.
	// +optional
	Metrics *MetricsParameters `json:"metrics,omitempty"`

	// VirtualMachines are the names of the VirtualMachines, in this namespace,
	// that members run on. The first one runs the primary.
	// +crossplane:generate:reference:type=github.com/dbaas-io/dbaas/apis/compute/v1alpha1.VirtualMachine
	// +crossplane:generate:reference:extractor=github.com/dbaas-io/dbaas/apis/common.ObjectName()
	// +crossplane:generate:reference:refFieldName=VirtualMachineRefs
	// +crossplane:generate:reference:selectorFieldName=VirtualMachineSelector
	// +optional
	VirtualMachines []string `json:"virtualMachines,omitempty"`

	// VirtualMachineRefs resolve VirtualMachines by name.
	// +optional
	VirtualMachineRefs []xpv2.NamespacedReference `json:"virtualMachineRefs,omitempty"`

	// VirtualMachineSelector resolves VirtualMachines by labels.
	// +optional
	VirtualMachineSelector *xpv2.NamespacedSelector `json:"virtualMachineSelector,omitempty"`

	// StorageGB is the space the instance's data may use.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65536
	StorageGB int32 `json:"storageGB"`

	// DataDevice is the block device of the machines' data disk, for
	// example /dev/sdb on vSphere, /dev/disk/azure/scsi1/lun0 on Azure or
	// /dev/disk/by-id/google-data on GCP. When set, the members' data live
	// on it: an empty device gets an ext4 file system, one that has a file
	// system is never formatted, and it is mounted on /var/lib/postgresql
	// now and at every boot. Empty keeps the data on the boot disk. Only
	// machines configured over SSH read it.
	// +kubebuilder:validation:Pattern=`^/dev/[A-Za-z0-9._/+:-]+$`
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="!self.contains('/../') && !self.endsWith('/..')",message="dataDevice must be a device below /dev, without '..'"
	// +optional
	DataDevice string `json:"dataDevice,omitempty"`

	// MaxConnections maps to max_connections.
	// +kubebuilder:validation:Minimum=5
	// +kubebuilder:validation:Maximum=10000
	// +optional
	MaxConnections *int32 `json:"maxConnections,omitempty"`

	// SharedBuffersMB maps to shared_buffers, in MB.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1048576
	// +optional
	SharedBuffersMB *int32 `json:"sharedBuffersMB,omitempty"`

	// Parameters are further engine settings, by their engine name
	// (for PostgreSQL, postgresql.conf names such as work_mem). Only the
	// tuning parameters of the engine's allow-list are accepted (package
	// internal/engine/pgparams; for PostgreSQL 15: memory, planner, WAL
	// sizing, checkpoints, autovacuum, logging verbosity, timeouts,
	// connection limits and session defaults); no parameter that names a
	// command, a library, a file, a port or an address, and none that the
	// provider sets itself. The list below is the union of every version's
	// allow-list; the provider checks the version's own.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[a-z][a-z0-9_.]{0,62}$'))",message="parameter names are lower-case letters, digits, '_' and '.', starting with a letter"
	// +kubebuilder:validation:XValidation:rule="self.all(k, k in ['application_name','authentication_timeout','autovacuum','autovacuum_analyze_scale_factor','autovacuum_analyze_threshold','autovacuum_freeze_max_age','autovacuum_max_workers','autovacuum_multixact_freeze_max_age','autovacuum_naptime','autovacuum_vacuum_cost_delay','autovacuum_vacuum_cost_limit','autovacuum_vacuum_insert_scale_factor','autovacuum_vacuum_insert_threshold','autovacuum_vacuum_scale_factor','autovacuum_vacuum_threshold','autovacuum_work_mem','backend_flush_after','bgwriter_delay','bgwriter_flush_after','bgwriter_lru_maxpages','bgwriter_lru_multiplier','bytea_output','check_function_bodies','checkpoint_completion_target','checkpoint_flush_after','checkpoint_timeout','checkpoint_warning','client_connection_check_interval','client_encoding','client_min_messages','commit_delay','commit_siblings','compute_query_id','constraint_exclusion','cpu_index_tuple_cost','cpu_operator_cost','cpu_tuple_cost','cursor_tuple_fraction','datestyle','deadlock_timeout','default_statistics_target','default_text_search_config','default_transaction_deferrable','default_transaction_isolation','default_transaction_read_only','effective_cache_size','effective_io_concurrency','enable_async_append','enable_bitmapscan','enable_gathermerge','enable_hashagg','enable_hashjoin','enable_incremental_sort','enable_indexonlyscan','enable_indexscan','enable_material','enable_memoize','enable_mergejoin','enable_nestloop','enable_parallel_append','enable_parallel_hash','enable_partition_pruning','enable_partitionwise_aggregate','enable_partitionwise_join','enable_seqscan','enable_sort','enable_tidscan','extra_float_digits','from_collapse_limit','geqo','geqo_effort','geqo_generations','geqo_pool_size','geqo_seed','geqo_selection_bias','geqo_threshold','gin_fuzzy_search_limit','gin_pending_list_limit','hash_mem_multiplier','hot_standby_feedback','idle_in_transaction_session_timeout','idle_session_timeout','intervalstyle','jit','jit_above_cost','jit_inline_above_cost','jit_optimize_above_cost','join_collapse_limit','lc_monetary','lc_numeric','lc_time','lock_timeout','log_autovacuum_min_duration','log_checkpoints','log_connections','log_disconnections','log_duration','log_error_verbosity','log_line_prefix','log_lock_waits','log_min_duration_sample','log_min_duration_statement','log_min_error_statement','log_min_messages','log_parameter_max_length','log_parameter_max_length_on_error','log_recovery_conflict_waits','log_replication_commands','log_statement','log_statement_sample_rate','log_temp_files','log_timezone','log_transaction_sample_rate','logical_decoding_work_mem','maintenance_io_concurrency','maintenance_work_mem','max_connections','max_files_per_process','max_locks_per_transaction','max_parallel_maintenance_workers','max_parallel_workers','max_parallel_workers_per_gather','max_pred_locks_per_page','max_pred_locks_per_relation','max_pred_locks_per_transaction','max_prepared_transactions','max_slot_wal_keep_size','max_stack_depth','max_standby_archive_delay','max_standby_streaming_delay','max_wal_size','max_worker_processes','min_parallel_index_scan_size','min_parallel_table_scan_size','min_wal_size','old_snapshot_threshold','parallel_leader_participation','parallel_setup_cost','parallel_tuple_cost','plan_cache_mode','random_page_cost','recursive_worktable_factor','row_security','search_path','seq_page_cost','shared_buffers','statement_timeout','stats_fetch_consistency','synchronous_commit','tcp_keepalives_count','tcp_keepalives_idle','tcp_keepalives_interval','tcp_user_timeout','temp_buffers','temp_file_limit','timezone','track_activities','track_activity_query_size','track_counts','track_functions','track_io_timing','track_wal_io_timing','vacuum_cost_delay','vacuum_cost_limit','vacuum_cost_page_dirty','vacuum_cost_page_hit','vacuum_cost_page_miss','vacuum_failsafe_age','vacuum_freeze_min_age','vacuum_freeze_table_age','vacuum_multixact_failsafe_age','vacuum_multixact_freeze_min_age','vacuum_multixact_freeze_table_age','wal_buffers','wal_compression','wal_init_zero','wal_receiver_status_interval','wal_receiver_timeout','wal_recycle','wal_sender_timeout','wal_skip_threshold','wal_writer_delay','wal_writer_flush_after','work_mem','xmlbinary','xmloption'])",messageExpression="'parameter ' + self.filter(k, !(k in ['application_name','authentication_timeout','autovacuum','autovacuum_analyze_scale_factor','autovacuum_analyze_threshold','autovacuum_freeze_max_age','autovacuum_max_workers','autovacuum_multixact_freeze_max_age','autovacuum_naptime','autovacuum_vacuum_cost_delay','autovacuum_vacuum_cost_limit','autovacuum_vacuum_insert_scale_factor','autovacuum_vacuum_insert_threshold','autovacuum_vacuum_scale_factor','autovacuum_vacuum_threshold','autovacuum_work_mem','backend_flush_after','bgwriter_delay','bgwriter_flush_after','bgwriter_lru_maxpages','bgwriter_lru_multiplier','bytea_output','check_function_bodies','checkpoint_completion_target','checkpoint_flush_after','checkpoint_timeout','checkpoint_warning','client_connection_check_interval','client_encoding','client_min_messages','commit_delay','commit_siblings','compute_query_id','constraint_exclusion','cpu_index_tuple_cost','cpu_operator_cost','cpu_tuple_cost','cursor_tuple_fraction','datestyle','deadlock_timeout','default_statistics_target','default_text_search_config','default_transaction_deferrable','default_transaction_isolation','default_transaction_read_only','effective_cache_size','effective_io_concurrency','enable_async_append','enable_bitmapscan','enable_gathermerge','enable_hashagg','enable_hashjoin','enable_incremental_sort','enable_indexonlyscan','enable_indexscan','enable_material','enable_memoize','enable_mergejoin','enable_nestloop','enable_parallel_append','enable_parallel_hash','enable_partition_pruning','enable_partitionwise_aggregate','enable_partitionwise_join','enable_seqscan','enable_sort','enable_tidscan','extra_float_digits','from_collapse_limit','geqo','geqo_effort','geqo_generations','geqo_pool_size','geqo_seed','geqo_selection_bias','geqo_threshold','gin_fuzzy_search_limit','gin_pending_list_limit','hash_mem_multiplier','hot_standby_feedback','idle_in_transaction_session_timeout','idle_session_timeout','intervalstyle','jit','jit_above_cost','jit_inline_above_cost','jit_optimize_above_cost','join_collapse_limit','lc_monetary','lc_numeric','lc_time','lock_timeout','log_autovacuum_min_duration','log_checkpoints','log_connections','log_disconnections','log_duration','log_error_verbosity','log_line_prefix','log_lock_waits','log_min_duration_sample','log_min_duration_statement','log_min_error_statement','log_min_messages','log_parameter_max_length','log_parameter_max_length_on_error','log_recovery_conflict_waits','log_replication_commands','log_statement','log_statement_sample_rate','log_temp_files','log_timezone','log_transaction_sample_rate','logical_decoding_work_mem','maintenance_io_concurrency','maintenance_work_mem','max_connections','max_files_per_process','max_locks_per_transaction','max_parallel_maintenance_workers','max_parallel_workers','max_parallel_workers_per_gather','max_pred_locks_per_page','max_pred_locks_per_relation','max_pred_locks_per_transaction','max_prepared_transactions','max_slot_wal_keep_size','max_stack_depth','max_standby_archive_delay','max_standby_streaming_delay','max_wal_size','max_worker_processes','min_parallel_index_scan_size','min_parallel_table_scan_size','min_wal_size','old_snapshot_threshold','parallel_leader_participation','parallel_setup_cost','parallel_tuple_cost','plan_cache_mode','random_page_cost','recursive_worktable_factor','row_security','search_path','seq_page_cost','shared_buffers','statement_timeout','stats_fetch_consistency','synchronous_commit','tcp_keepalives_count','tcp_keepalives_idle','tcp_keepalives_interval','tcp_user_timeout','temp_buffers','temp_file_limit','timezone','track_activities','track_activity_query_size','track_counts','track_functions','track_io_timing','track_wal_io_timing','vacuum_cost_delay','vacuum_cost_limit','vacuum_cost_page_dirty','vacuum_cost_page_hit','vacuum_cost_page_miss','vacuum_failsafe_age','vacuum_freeze_min_age','vacuum_freeze_table_age','vacuum_multixact_failsafe_age','vacuum_multixact_freeze_min_age','vacuum_multixact_freeze_table_age','wal_buffers','wal_compression','wal_init_zero','wal_receiver_status_interval','wal_receiver_timeout','wal_recycle','wal_sender_timeout','wal_skip_threshold','wal_writer_delay','wal_writer_flush_after','work_mem','xmlbinary','xmloption']))[0] + ' is not in the allow-list of tuning parameters: remove it'"
	// +optional
	Parameters map[string]string `json:"parameters,omitempty"`

	// Extensions are the extensions whose packages the members install
	// (on machines over SSH through the play; on local, the packages of
	// this machine are used) so that Databases on this instance may create
	// them. Only the engine's allow-list is accepted (package
	// internal/engine/pgextensions), never a package name.
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.all(e, e in ['btree_gin','btree_gist','citext','cube','earthdistance','fuzzystrmatch','hstore','intarray','isn','ltree','pg_stat_statements','pg_trgm','pgcrypto','postgis','postgis_topology','tablefunc','unaccent','uuid-ossp','vector'])",messageExpression="'extension ' + self.filter(e, !(e in ['btree_gin','btree_gist','citext','cube','earthdistance','fuzzystrmatch','hstore','intarray','isn','ltree','pg_stat_statements','pg_trgm','pgcrypto','postgis','postgis_topology','tablefunc','unaccent','uuid-ossp','vector']))[0] + ' is not in the allow-list of extensions'"
	// +listType=set
	// +optional
	Extensions []string `json:"extensions,omitempty"`

	// AdminUser is the engine's administrative account.
	// +kubebuilder:validation:Pattern=`^[a-z_][a-z0-9_]{0,62}$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="adminUser is immutable"
	// +kubebuilder:default=postgres
	// +optional
	AdminUser string `json:"adminUser,omitempty"`

	// AdminPasswordSecretRef is where the admin account's password is read
	// from, or written to when AutoGeneratePassword is true and the key is
	// missing.
	AdminPasswordSecretRef xpv2.LocalSecretKeySelector `json:"adminPasswordSecretRef"`

	// AutoGeneratePassword generates the admin password into
	// AdminPasswordSecretRef when that Secret or key does not exist yet.
	// +optional
	AutoGeneratePassword bool `json:"autoGeneratePassword,omitempty"`
	// Backup archives the instance's WAL into a BackupStore and lets
	// Backups of it be taken; no archiving and no backups when unset.
	// +optional
	Backup *InstanceBackupParameters `json:"backup,omitempty"`

	// Bootstrap is how the instance gets its first data: restored from a
	// backup (recovery) instead of an empty initdb. Only when the instance
	// is created; immutable.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="bootstrap is immutable: it only applies when the instance is created; restore into a new instance instead"
	// +optional
	Bootstrap *BootstrapParameters `json:"bootstrap,omitempty"`
}

// A Member is one engine process of an instance.
type Member struct {
	// VirtualMachine the member runs on.
	VirtualMachine string `json:"virtualMachine"`

	// Role of the member: primary or replica.
	Role string `json:"role"`

	// Address and Port the member listens on.
	Address string `json:"address,omitempty"`
	Port    int32  `json:"port,omitempty"`

	// Running is true when the member answers queries.
	Running bool `json:"running"`

	// LSN is the member's position in the write-ahead log: where the
	// primary writes (pg_current_wal_lsn) or up to where a replica replayed
	// (pg_last_wal_replay_lsn).
	// +optional
	LSN string `json:"lsn,omitempty"`

	// LagBytes is how far a replica's replay is behind the primary's
	// current position, as the primary sees it.
	// +optional
	LagBytes *int64 `json:"lagBytes,omitempty"`

	// Streaming is the state of a replica's WAL stream as the primary
	// reports it (pg_stat_replication.state, for example streaming or
	// catchup); empty when the replica is not connected.
	// +optional
	Streaming string `json:"streaming,omitempty"`

	// SyncState is how the primary counts a replica for commits
	// (pg_stat_replication.sync_state: async, potential, sync or quorum).
	// +optional
	SyncState string `json:"syncState,omitempty"`

	// Watchdog is true once the self-fencing watchdog runs beside the
	// member, as last seen: a primary the provider cannot reach is
	// replaced only when its watchdog was seen running.
	// +optional
	Watchdog bool `json:"watchdog,omitempty"`

	// MetricsEndpoint is the URL Prometheus scrapes the member's exporter
	// at, for example http://10.0.0.5:9187/metrics; set while the
	// exporter answers there.
	// +optional
	MetricsEndpoint string `json:"metricsEndpoint,omitempty"`

	// NodeMetricsEndpoint is the URL Prometheus scrapes the node_exporter
	// beside the member at, for example http://10.0.0.5:9100/metrics; set
	// while it answers there.
	// +optional
	NodeMetricsEndpoint string `json:"nodeMetricsEndpoint,omitempty"`

	// Step is the configuration step that ran last on the member's machine
	// over SSH: the one running, the one that failed, or the play's last.
	// +optional
	Step string `json:"step,omitempty"`

	// StepState is Applying, Failed or Done.
	// +optional
	StepState string `json:"stepState,omitempty"`

	// StepError says why Step failed.
	// +optional
	StepError string `json:"stepError,omitempty"`
}

// Steps of a restart that rolls member by member.
const (
	RestartingReplicas = "RestartingReplicas"
	SwitchingOver      = "SwitchingOver"
)

// Step states of a member's configuration.
const (
	StepApplying = "Applying"
	StepFailed   = "Failed"
	StepDone     = "Done"
)

// DatabaseInstanceObservation is the observed state of a database instance.
type DatabaseInstanceObservation struct {
	// Endpoint is the address that takes writes.
	Endpoint string `json:"endpoint,omitempty"`

	// Port that takes writes.
	Port int32 `json:"port,omitempty"`

	// EngineVersion is the version the engine reports, for example "15.18".
	EngineVersion string `json:"engineVersion,omitempty"`

	// Primary is the VirtualMachine whose member takes writes, and so
	// holds the instance's data. Once set, spec.forProvider.virtualMachines
	// must keep listing it, and the primary may only move to a member that
	// holds a copy of the data (a switchover): anything else would start an
	// empty server in its place.
	// +optional
	Primary string `json:"primary,omitempty"`

	// ReadOnlyEndpoints are the replicas' host:port addresses, which take
	// reads only.
	// +optional
	ReadOnlyEndpoints []string `json:"readOnlyEndpoints,omitempty"`

	// Extensions are the extensions of spec.forProvider.extensions, with
	// those they require, that the members can provide (their packages
	// are installed), sorted. One that is missing keeps the instance from
	// being Ready, with a message naming its package.
	// +optional
	Extensions []string `json:"extensions,omitempty"`

	// SynchronousStandbyNames is the primary's synchronous_standby_names:
	// empty in async mode.
	// +optional
	SynchronousStandbyNames string `json:"synchronousStandbyNames,omitempty"`

	// FencingToken is the instance's epoch: it grows by one with every
	// promotion, automatic or manual, and is recorded before the replica is
	// promoted. A member fenced at an older epoch never takes writes again
	// until it has rejoined as a replica. Zero until the first promotion.
	// +optional
	FencingToken int64 `json:"fencingToken,omitempty"`

	// LastFailoverTime is when the provider last decided an automatic
	// failover: a replica promoted because the primary stopped answering
	// for failover.after. It is recorded with the epoch, just before the
	// replica is promoted. A planned switchover (spec.forProvider.primary
	// changed by hand) does not set it; see LastSwitchoverTime.
	// +optional
	LastFailoverTime *metav1.Time `json:"lastFailoverTime,omitempty"`

	// LastSwitchoverTime is when the provider last recorded a planned
	// switchover, one asked for through spec.forProvider.primary, just
	// before the replica is promoted. An automatic failover does not set
	// it.
	// +optional
	LastSwitchoverTime *metav1.Time `json:"lastSwitchoverTime,omitempty"`

	// RestartStep is where a restart for settings the primary only reads
	// at start (a larger shared_buffers or max_connections) stands, as the
	// members report it: RestartingReplicas while replicas still run with
	// the old settings, SwitchingOver once only the primary does (one
	// switchover to a replica that streams, then the former primary
	// rejoins as a replica with the new settings). Empty otherwise. The
	// members' pending restarts and the
	// switchover recorded in spec.forProvider.primary are what a restarted
	// provider resumes from.
	// +optional
	RestartStep string `json:"restartStep,omitempty"`

	// Members are the instance's engine processes.
	Members []Member `json:"members,omitempty"`

	// SSHHostKeys are the SSH host keys of the members' machines, by
	// VirtualMachine, in authorized_keys form, pinned at first contact. A
	// machine that later presents another key is not touched until its
	// entry is removed here, which accepts its new key.
	// +optional
	SSHHostKeys map[string]string `json:"sshHostKeys,omitempty"`
	// RecoveryWindow is what the instance can be restored to from its
	// BackupStore, when spec.forProvider.backup is set.
	// +optional
	RecoveryWindow *RecoveryWindow `json:"recoveryWindow,omitempty"`
}

// A DatabaseInstanceSpec defines the desired state of a DatabaseInstance.
type DatabaseInstanceSpec struct {
	xpv2.ManagedResourceSpec `json:",inline"`
	ForProvider              DatabaseInstanceParameters `json:"forProvider"`
}

// A DatabaseInstanceStatus represents the observed state of a DatabaseInstance.
type DatabaseInstanceStatus struct {
	xpv2.ManagedResourceStatus `json:",inline"`
	AtProvider                 DatabaseInstanceObservation `json:"atProvider,omitempty"`
}

// +kubebuilder:object:root=true

// A DatabaseInstance is a database engine installed and running on one or
// more VirtualMachines. Its connection secret holds the admin account's
// username, password, the primary's endpoint and port, and the replicas'
// readOnlyEndpoints (comma-separated host:port).
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="SYNCED",type="string",JSONPath=".status.conditions[?(@.type=='Synced')].status"
// +kubebuilder:printcolumn:name="ENGINE",type="string",JSONPath=".spec.forProvider.engine"
// +kubebuilder:printcolumn:name="TOPOLOGY",type="string",JSONPath=".spec.forProvider.topology"
// +kubebuilder:printcolumn:name="PRIMARY",type="string",JSONPath=".status.atProvider.primary"
// +kubebuilder:printcolumn:name="REPLICAS",type="integer",JSONPath=".spec.forProvider.replicas",priority=1
// +kubebuilder:printcolumn:name="VERSION",type="string",JSONPath=".status.atProvider.engineVersion"
// +kubebuilder:printcolumn:name="ENDPOINT",type="string",JSONPath=".status.atProvider.endpoint"
// +kubebuilder:printcolumn:name="PORT",type="integer",JSONPath=".status.atProvider.port"
// +kubebuilder:printcolumn:name="EXTERNAL-NAME",type="string",JSONPath=".metadata.annotations.crossplane\\.io/external-name",priority=1
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,managed,dbaas,dbaas-managed},shortName=dbinstance
// +kubebuilder:validation:XValidation:rule="!has(self.status) || !has(self.status.atProvider) || !has(self.status.atProvider.primary) || !has(self.spec.forProvider.virtualMachines) || size(self.spec.forProvider.virtualMachines) == 0 || self.status.atProvider.primary in self.spec.forProvider.virtualMachines",messageExpression="'spec.forProvider.virtualMachines must keep ' + self.status.atProvider.primary + ', which holds the data of the primary (status.atProvider.primary): to retire it, switch over to a replica first (spec.forProvider.primary); a single instance cannot move, create a new instance and copy the data'"
type DatabaseInstance struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   DatabaseInstanceSpec   `json:"spec"`
	Status DatabaseInstanceStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// DatabaseInstanceList contains a list of DatabaseInstance.
type DatabaseInstanceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DatabaseInstance `json:"items"`
}

// DatabaseInstance type metadata.
var (
	DatabaseInstanceKind             = reflect.TypeOf(DatabaseInstance{}).Name()
	DatabaseInstanceGroupKind        = schema.GroupKind{Group: Group, Kind: DatabaseInstanceKind}.String()
	DatabaseInstanceKindAPIVersion   = DatabaseInstanceKind + "." + SchemeGroupVersion.String()
	DatabaseInstanceGroupVersionKind = SchemeGroupVersion.WithKind(DatabaseInstanceKind)
)

func init() {
	SchemeBuilder.Register(&DatabaseInstance{}, &DatabaseInstanceList{})
}
