package local

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

func TestBackendCreate(t *testing.T) {
	ctx := context.Background()
	type want struct {
		ranges []PortRange
		err    error
	}
	cases := map[string]struct {
		reason   string
		busy     map[int32]bool
		machines []string
		want     want
	}{
		"DistinctBlocks": {
			reason:   "Each machine gets a block of its own.",
			machines: []string{"a", "b"},
			want:     want{ranges: []PortRange{{Start: 21000, End: 21004}, {Start: 21005, End: 21009}}},
		},
		"BusyPortSkipped": {
			reason:   "A block with a port that something else listens on is skipped.",
			busy:     map[int32]bool{21002: true},
			machines: []string{"a"},
			want:     want{ranges: []PortRange{{Start: 21005, End: 21009}}},
		},
		"Exhausted": {
			reason:   "A third machine does not fit into a range of two blocks.",
			machines: []string{"a", "b", "c"},
			want: want{
				ranges: []PortRange{{Start: 21000, End: 21004}, {Start: 21005, End: 21009}},
				err:    errors.Errorf(errNoPortsFmt, 5, 21000, 21009),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := New(t.TempDir(), 21000, 21009)
			b.free = func(p int32) bool { return !tc.busy[p] }
			var got []PortRange
			var err error
			for _, n := range tc.machines {
				var m *machine.Machine
				m, err = b.Create(ctx, machine.ID{Namespace: "ns", Name: n}, machine.Spec{CPU: 1, MemoryMiB: 512, Local: &v1alpha1.LocalMachineParameters{Ports: 5}})
				if err != nil {
					break
				}
				got = append(got, PortRange{Start: m.PortRangeStart, End: m.PortRangeEnd})
			}
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nCreate(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.ranges, got); diff != "" {
				t.Errorf("%s\nCreate(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestBackendUpdate(t *testing.T) {
	ctx := context.Background()
	id := machine.ID{Namespace: "ns", Name: "vm"}
	initial := machine.Spec{CPU: 1, MemoryMiB: 512, Local: &v1alpha1.LocalMachineParameters{Ports: 2}, Disks: []machine.Disk{{Name: "data", SizeGiB: 10}}}

	type want struct {
		m   *machine.Machine
		err error
	}
	cases := map[string]struct {
		reason string
		spec   machine.Spec
		want   want
	}{
		"Grow": {
			reason: "CPU, memory, disks and power follow the spec.",
			spec:   machine.Spec{CPU: 2, MemoryMiB: 1024, PowerState: machine.PowerOff, Disks: []machine.Disk{{Name: "logs", SizeGiB: 1}, {Name: "data", SizeGiB: 20}}},
			want: want{m: &machine.Machine{Address: Address, PortRangeStart: 22000, PortRangeEnd: 22001, CPU: 2, MemoryMiB: 1024, PowerState: machine.PowerOff,
				Disks: []machine.Disk{{Name: "data", SizeGiB: 20}, {Name: "logs", SizeGiB: 1}}}},
		},
		"ShrinkRefused": {
			reason: "Shrinking a disk is refused and nothing changes.",
			spec:   machine.Spec{CPU: 4, MemoryMiB: 2048, Disks: []machine.Disk{{Name: "data", SizeGiB: 5}}},
			want: want{
				m: &machine.Machine{Address: Address, PortRangeStart: 22000, PortRangeEnd: 22001, CPU: 1, MemoryMiB: 512, PowerState: machine.PowerOn,
					Disks: []machine.Disk{{Name: "data", SizeGiB: 10}}},
				err: errors.Errorf(errShrink, "data", 10, 5),
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := New(t.TempDir(), 22000, 22099)
			b.free = func(int32) bool { return true }
			if _, err := b.Create(ctx, id, initial); err != nil {
				t.Fatal(err)
			}
			_, err := b.Update(ctx, id, tc.spec)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nUpdate(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			got, oerr := b.Observe(ctx, id)
			if oerr != nil {
				t.Fatal(oerr)
			}
			if diff := cmp.Diff(tc.want.m, got, cmpopts.IgnoreFields(machine.Machine{}, "ID", "WorkDir")); diff != "" {
				t.Errorf("%s\nObserve(...) after Update: -want, +got:\n%s", tc.reason, diff)
			}
			for _, d := range got.Disks {
				fi, err := os.Stat(filepath.Join(workDir(t, b, id), disksDir, d.Name+".img"))
				if err != nil {
					t.Fatal(err)
				}
				if fi.Size() != int64(d.SizeGiB)*gib {
					t.Errorf("%s\ndisk %s: want %d bytes, got %d", tc.reason, d.Name, int64(d.SizeGiB)*gib, fi.Size())
				}
			}
		})
	}
}

func TestBackendDelete(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	b := New(base, 23000, 23099)
	id := machine.ID{Namespace: "ns", Name: "vm"}
	if _, err := b.Create(ctx, id, machine.Spec{CPU: 1, MemoryMiB: 512}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(workDir(t, b, id))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != dirMode {
		t.Errorf("machine dir mode: want %o, got %o", dirMode, fi.Mode().Perm())
	}
	if err := b.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(workDir(t, b, id)); !os.IsNotExist(err) {
		t.Errorf("Delete(...): want the machine dir gone, stat says %v", err)
	}
	m, err := b.Observe(ctx, id)
	if diff := cmp.Diff((*machine.Machine)(nil), m); diff != "" || err != nil {
		t.Errorf("Observe(...) after Delete: -want, +got:\n%s (err %v)", diff, err)
	}
}

// workDir is the directory of a machine whose ID is valid.
func workDir(t *testing.T, b *Backend, id machine.ID) string {
	t.Helper()
	dir, err := b.WorkDir(id)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
