package pgtune

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"

	"github.com/dbaas-io/dbaas/internal/engine/pgparams"
)

// web returns the parameters every size shares, with the ones that depend
// on the size.
func web(sized map[string]string) map[string]string {
	p := map[string]string{
		"checkpoint_completion_target": "0.9",
		"random_page_cost":             "1.1",
		"effective_io_concurrency":     "200",
	}
	for k, v := range sized {
		p[k] = v
	}
	return p
}

// The expected values are pgtune's for "web" on Linux with SSD storage and
// PostgreSQL 15, with maintenance_work_mem capped at 2GB and WAL sizes at a
// quarter of the disk.
var cases = map[string]struct {
	reason string
	m      Machine
	want   Settings
}{
	"512MiB1CPU": {
		reason: "A tiny machine takes pgtune's default connections and divides work_mem by PostgreSQL's default two workers per gather.",
		m:      Machine{CPU: 1, MemoryMiB: 512, StorageGiB: 10},
		want: Settings{MaxConnections: 200, SharedBuffersMB: 128, Parameters: web(map[string]string{
			"effective_cache_size": "384MB",
			"maintenance_work_mem": "32MB",
			"wal_buffers":          "3932kB",
			"work_mem":             "327kB",
			"max_wal_size":         "2560MB",
			"min_wal_size":         "640MB",
		})},
	},
	"4GiB2CPU": {
		reason: "wal_buffers is rounded to 16MB and the WAL sizes are pgtune's once the disk is large enough.",
		m:      Machine{CPU: 2, MemoryMiB: 4096, StorageGiB: 50},
		want: Settings{MaxConnections: 200, SharedBuffersMB: 1024, Parameters: web(map[string]string{
			"effective_cache_size": "3GB",
			"maintenance_work_mem": "256MB",
			"wal_buffers":          "16MB",
			"work_mem":             "2621kB",
			"max_wal_size":         "4GB",
			"min_wal_size":         "1GB",
		})},
	},
	"16GiB4CPU": {
		reason: "Four CPUs get pgtune's parallel settings, and work_mem is divided by the workers per gather.",
		m:      Machine{CPU: 4, MemoryMiB: 16384, StorageGiB: 100},
		want: Settings{MaxConnections: 200, SharedBuffersMB: 4096, Parameters: web(map[string]string{
			"effective_cache_size":             "12GB",
			"maintenance_work_mem":             "1GB",
			"wal_buffers":                      "16MB",
			"work_mem":                         "10485kB",
			"max_wal_size":                     "4GB",
			"min_wal_size":                     "1GB",
			"max_worker_processes":             "4",
			"max_parallel_workers":             "4",
			"max_parallel_workers_per_gather":  "2",
			"max_parallel_maintenance_workers": "2",
		})},
	},
	"64GiB16CPU": {
		reason: "maintenance_work_mem is capped at 2GB and workers per gather at four.",
		m:      Machine{CPU: 16, MemoryMiB: 65536, StorageGiB: 500},
		want: Settings{MaxConnections: 200, SharedBuffersMB: 16384, Parameters: web(map[string]string{
			"effective_cache_size":             "48GB",
			"maintenance_work_mem":             "2GB",
			"wal_buffers":                      "16MB",
			"work_mem":                         "20971kB",
			"max_wal_size":                     "4GB",
			"min_wal_size":                     "1GB",
			"max_worker_processes":             "16",
			"max_parallel_workers":             "16",
			"max_parallel_workers_per_gather":  "4",
			"max_parallel_maintenance_workers": "4",
		})},
	},
	"SmallStorage": {
		reason: "On a 1GiB disk max_wal_size is a quarter of it, and min_wal_size a quarter of that.",
		m:      Machine{CPU: 1, MemoryMiB: 512, StorageGiB: 1},
		want: Settings{MaxConnections: 200, SharedBuffersMB: 128, Parameters: web(map[string]string{
			"effective_cache_size": "384MB",
			"maintenance_work_mem": "32MB",
			"wal_buffers":          "3932kB",
			"work_mem":             "327kB",
			"max_wal_size":         "256MB",
			"min_wal_size":         "64MB",
		})},
	},
	"Overrides": {
		reason: "A SKU's maxConnections and sharedBuffersMB are used as they are, and work_mem follows them.",
		m:      Machine{CPU: 1, MemoryMiB: 1024, StorageGiB: 10, MaxConnections: ptr.To[int32](50), SharedBuffersMB: ptr.To[int32](128)},
		want: Settings{MaxConnections: 50, SharedBuffersMB: 128, Parameters: web(map[string]string{
			"effective_cache_size": "768MB",
			"maintenance_work_mem": "64MB",
			"wal_buffers":          "3932kB",
			"work_mem":             "3058kB",
			"max_wal_size":         "2560MB",
			"min_wal_size":         "640MB",
		})},
	},
	"ManyConnectionsLittleMemory": {
		reason: "work_mem never goes below PostgreSQL's minimum of 64kB.",
		m:      Machine{CPU: 1, MemoryMiB: 256, StorageGiB: 10, MaxConnections: ptr.To[int32](10000)},
		want: Settings{MaxConnections: 10000, SharedBuffersMB: 64, Parameters: web(map[string]string{
			"effective_cache_size": "192MB",
			"maintenance_work_mem": "16MB",
			"wal_buffers":          "1966kB",
			"work_mem":             "64kB",
			"max_wal_size":         "2560MB",
			"min_wal_size":         "640MB",
		})},
	},
}

func TestDerive(t *testing.T) {
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Derive(tc.m)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nDerive(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestDeriveIsAllowed checks that every parameter derived for every size is
// one a DatabaseInstance of PostgreSQL 15 accepts.
func TestDeriveIsAllowed(t *testing.T) {
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if err := pgparams.Check("15", Derive(tc.m).Parameters); err != nil {
				t.Errorf("%s\npgparams.Check(...): %v", tc.reason, err)
			}
		})
	}
}

func TestSize(t *testing.T) {
	cases := map[string]struct {
		kB   int64
		want string
	}{
		"GB":  {kB: 4 * gB, want: "4GB"},
		"MB":  {kB: 2560 * mB, want: "2560MB"},
		"kB":  {kB: 3932, want: "3932kB"},
		"Min": {kB: 64, want: "64kB"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := size(tc.kB); got != tc.want {
				t.Errorf("size(%d): want %q, got %q", tc.kB, tc.want, got)
			}
		})
	}
}
