// Package pgtune derives PostgreSQL settings from the size of a machine, as
// pgtune (https://github.com/le0pard/pgtune) does for a "web" workload on
// SSD storage under Linux. The platform's SKUs give only a machine's CPUs,
// memory and disk; the engine settings that go with them are computed here,
// so that a platform team sizes machines and never has to keep
// shared_buffers, work_mem and the rest in step with memory by hand.
//
// Every parameter it emits is in the PostgreSQL 15 allow-list of package
// pgparams; its tests check that.
package pgtune

import "strconv"

// Sizes in kB, the unit pgtune computes in and PostgreSQL's base unit for
// memory settings (its kB, MB and GB are powers of 1024).
const (
	kB int64 = 1
	mB       = 1024 * kB
	gB       = 1024 * mB
)

// The "web" profile's constants, as pgtune has them.
const (
	// defaultMaxConnections is pgtune's max_connections for web
	// applications, used when the SKU sets none.
	defaultMaxConnections int32 = 200

	// maxMaintenanceWorkMem caps maintenance_work_mem: a vacuum or an
	// index build rarely gains from more, and autovacuum workers may each
	// take this much.
	maxMaintenanceWorkMem = 2 * gB

	// minWorkMem is the floor pgtune puts under work_mem: PostgreSQL's
	// own minimum.
	minWorkMem = 64 * kB

	// defaultParallelPerGather is PostgreSQL's default
	// max_parallel_workers_per_gather, which divides work_mem when the
	// machine is too small for pgtune to set parallel workers.
	defaultParallelPerGather = 2

	// maxWALSize and the ratio to minWALSize are pgtune's web values
	// (4GB and 1GB).
	maxWALSize     = 4 * gB
	minWALSizeFrac = 4

	// walShareOfStorage is the largest part of the data disk max_wal_size
	// may take: WAL kept between checkpoints must never fill the disk of a
	// small SKU.
	walShareOfStorage = 4

	// maxWALBuffers is where PostgreSQL's own auto-tuning of wal_buffers
	// stops, and walBuffersNear is the value above which pgtune rounds up
	// to it.
	maxWALBuffers  = 16 * mB
	walBuffersNear = 14 * mB
	minWALBuffers  = 32 * kB

	// maxSharedBuffersMB is the largest sharedBuffersMB a DatabaseInstance
	// accepts.
	maxSharedBuffersMB = 1048576
)

// A Machine is what a SKU and a claim say about the machine an engine runs
// on, with the SKU's optional overrides.
type Machine struct {
	// CPU is the number of virtual CPUs.
	CPU int32

	// MemoryMiB is the machine's memory in MiB.
	MemoryMiB int32

	// StorageGiB is the size of the data disk in GiB.
	StorageGiB int64

	// MaxConnections overrides the derived max_connections when set.
	MaxConnections *int32

	// SharedBuffersMB overrides the derived shared_buffers when set.
	SharedBuffersMB *int32
}

// Settings are the derived settings, split the way a DatabaseInstance takes
// them: the two that have fields of their own, and the rest by their
// postgresql.conf names with values in PostgreSQL's units.
type Settings struct {
	MaxConnections  int32
	SharedBuffersMB int32
	Parameters      map[string]string
}

// Derive returns the settings of a machine. It is pure: the same machine
// always gives the same settings, so a composition function can call it on
// every reconcile and compose nothing new until the SKU changes.
func Derive(m Machine) Settings {
	memory := int64(m.MemoryMiB) * mB

	maxConnections := defaultMaxConnections
	if m.MaxConnections != nil {
		maxConnections = *m.MaxConnections
	}

	// shared_buffers is a quarter of memory: PostgreSQL relies on the
	// operating system's page cache for the rest.
	sharedBuffersMB := min(memory/4/mB, maxSharedBuffersMB)
	if m.SharedBuffersMB != nil {
		sharedBuffersMB = int64(*m.SharedBuffersMB)
	}
	sharedBuffers := sharedBuffersMB * mB

	p := map[string]string{
		// The planner assumes three quarters of memory caches data:
		// shared_buffers and the page cache together.
		"effective_cache_size": size(memory * 3 / 4),
		"maintenance_work_mem": size(min(memory/16, maxMaintenanceWorkMem)),
		"wal_buffers":          size(walBuffers(sharedBuffers)),

		// Spread a checkpoint's writes over 90% of the interval between
		// checkpoints (PostgreSQL's default since 14, stated for clarity).
		"checkpoint_completion_target": "0.9",

		// SSD: a random read costs little more than a sequential one, and
		// the device serves many requests at once.
		"random_page_cost":         "1.1",
		"effective_io_concurrency": "200",
	}

	perGather := int64(defaultParallelPerGather)
	for name, v := range parallel(m.CPU) {
		p[name] = strconv.FormatInt(v, 10)
		if name == "max_parallel_workers_per_gather" {
			perGather = v
		}
	}

	// A query may use work_mem several times (sorts, hashes) and in every
	// parallel worker, so pgtune shares the memory shared_buffers leaves
	// among three uses per connection and per worker of a gather.
	workMem := max((memory-sharedBuffers)/(int64(maxConnections)*3)/perGather, minWorkMem)
	p["work_mem"] = size(workMem)

	maxWAL, minWAL := walSizes(m.StorageGiB)
	p["max_wal_size"] = size(maxWAL)
	p["min_wal_size"] = size(minWAL)

	return Settings{
		MaxConnections:  maxConnections,
		SharedBuffersMB: int32(sharedBuffersMB), // At most maxSharedBuffersMB, or an int32 override.
		Parameters:      p,
	}
}

// walBuffers is 3% of shared_buffers up to 16MB, rounded up to 16MB when
// near it and never below 32kB, as PostgreSQL's own auto-tuning and pgtune
// have it.
func walBuffers(sharedBuffers int64) int64 {
	w := sharedBuffers * 3 / 100
	switch {
	case w > walBuffersNear:
		return maxWALBuffers
	case w < minWALBuffers:
		return minWALBuffers
	default:
		return w
	}
}

// walSizes returns max_wal_size and min_wal_size: pgtune's 4GB and 1GB,
// scaled down together when the disk is small so that the WAL kept between
// checkpoints takes at most a quarter of it.
func walSizes(storageGiB int64) (maxWAL, minWAL int64) {
	maxWAL = maxWALSize
	if storageGiB > 0 {
		maxWAL = min(maxWAL, storageGiB*gB/walShareOfStorage)
	}
	return maxWAL, maxWAL / minWALSizeFrac
}

// parallel returns pgtune's parallel query settings: none below four CPUs,
// where PostgreSQL's defaults stand, and otherwise a worker per CPU with at
// most half the CPUs, and no more than four, on one gather or one
// maintenance command.
func parallel(cpu int32) map[string]int64 {
	if cpu < 4 {
		return nil
	}
	perTask := min((int64(cpu)+1)/2, 4)
	return map[string]int64{
		"max_worker_processes":             int64(cpu),
		"max_parallel_workers":             int64(cpu),
		"max_parallel_workers_per_gather":  perTask,
		"max_parallel_maintenance_workers": perTask,
	}
}
