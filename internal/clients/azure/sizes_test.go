package azure

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

func TestSizeFor(t *testing.T) {
	cases := map[string]struct {
		cpu, mem int32
		want     string
		err      string
	}{
		"nothing asked":         {0, 0, "Standard_B1ms", ""},
		"exact small":           {1, 2048, "Standard_B1ms", ""},
		"one more MiB":          {1, 2049, "Standard_B2s", ""},
		"two cpus 8G":           {2, 8192, "Standard_D2s_v5", ""},
		"memory heavy two cpus": {2, 12000, "Standard_E2s_v5", ""},
		"three cpus":            {3, 1024, "Standard_D4s_v5", ""},
		"four cpus 32G":         {4, 32768, "Standard_E4s_v5", ""},
		"eight cpus 64G":        {8, 65536, "Standard_E8s_v5", ""},
		"sixteen cpus 64G":      {16, 65536, "Standard_D16s_v5", ""},
		"largest":               {32, 262144, "Standard_E32s_v5", ""},
		"too many cpus":         {64, 1024, "", "no Azure size"},
		"too much memory":       {2, 300000, "", "name one in spec.forProvider.azure.size"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := SizeFor(tc.cpu, tc.mem)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("SizeFor(%d, %d) = %q, %v; want error containing %q", tc.cpu, tc.mem, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("SizeFor(%d, %d) = %q, %v; want %q", tc.cpu, tc.mem, got, err, tc.want)
			}
			cpu, mem, ok := SizeOf(got)
			if !ok || cpu < tc.cpu || mem < tc.mem {
				t.Errorf("SizeOf(%q) = %d, %d, %v: smaller than asked", got, cpu, mem, ok)
			}
		})
	}
}

// TestSizeTableOrder checks that the first fit is the smallest fit: every
// entry is searched after every entry that is no larger in both.
func TestSizeTableOrder(t *testing.T) {
	for i, a := range sizes {
		for _, b := range sizes[i+1:] {
			if b.CPU <= a.CPU && b.MemoryMiB <= a.MemoryMiB {
				t.Errorf("%s (%d/%d) comes after %s (%d/%d) but is no larger", b.Name, b.CPU, b.MemoryMiB, a.Name, a.CPU, a.MemoryMiB)
			}
		}
	}
	if _, _, ok := SizeOf("standard_d4s_v5"); !ok {
		t.Error("SizeOf is not case-insensitive, as ARM's size names are")
	}
	if cpu, mem, ok := SizeOf("Standard_NC24ads_A100_v4"); ok || cpu != 0 || mem != 0 {
		t.Errorf("SizeOf(unknown) = %d, %d, %v; want 0, 0, false", cpu, mem, ok)
	}
}

func TestDifferences(t *testing.T) {
	disks := []machine.Disk{{Name: "data", SizeGiB: 10}}
	on := func(cpu, mem int32) *machine.Machine {
		return &machine.Machine{ID: "vm", CPU: cpu, MemoryMiB: mem, Disks: disks, PowerState: machine.PowerOn}
	}
	spec := func(cpu, mem int32, size string) machine.Spec {
		s := machine.Spec{CPU: cpu, MemoryMiB: mem, Disks: disks}
		if size != "" {
			s.Azure = &v1alpha1.AzureMachineParameters{Size: size}
		}
		return s
	}
	cases := map[string]struct {
		spec machine.Spec
		m    *machine.Machine
		size string // the size Observe saw
		want []string
	}{
		"same size from cpu and memory": {spec(2, 8192, ""), on(2, 8192), "Standard_D2s_v5", nil},
		"cpu and memory fit a size that is running": {
			spec(2, 6000, ""), on(2, 8192), "Standard_D2s_v5", nil},
		"drifted size": {spec(2, 8192, ""), on(4, 16384), "Standard_D4s_v5",
			[]string{"size Standard_D4s_v5, want Standard_D2s_v5"}},
		"named size wins over cpu and memory":          {spec(1, 1024, "Standard_D4s_v5"), on(4, 16384), "Standard_D4s_v5", nil},
		"named size not in the table compared by name": {spec(0, 0, "Standard_NC24ads_A100_v4"), on(0, 0), "Standard_NC24ads_A100_v4", nil},
		"unknown size differs by name": {spec(0, 0, "Standard_NC24ads_A100_v4"), on(0, 0), "Standard_NC48ads_A100_v4",
			[]string{"size Standard_NC48ads_A100_v4, want Standard_NC24ads_A100_v4"}},
		"size names are case-insensitive": {spec(0, 0, "standard_d2s_v5"), on(2, 8192), "Standard_D2s_v5", nil},
		"grown disk and power": {
			machine.Spec{CPU: 2, MemoryMiB: 8192, Disks: []machine.Disk{{Name: "data", SizeGiB: 20}}, PowerState: machine.PowerOff},
			on(2, 8192), "Standard_D2s_v5",
			[]string{"disk data 10 GiB, want 20 GiB", "power On, want Off"}},
		"spec too large for the table": {spec(64, 1024, ""), on(2, 8192), "Standard_D2s_v5",
			[]string{"no Azure size in the provider's table has 64 CPUs and 1024 MiB of memory (the largest is Standard_E32s_v5); name one in spec.forProvider.azure.size"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := &Backend{sizes: map[string]string{tc.m.ID: tc.size}}
			if diff := cmp.Diff(tc.want, b.Differences(tc.spec, tc.m)); diff != "" {
				t.Errorf("Differences: -want +got:\n%s", diff)
			}
		})
	}
	t.Run("not observed: size from cpu and memory", func(t *testing.T) {
		b := &Backend{sizes: map[string]string{}}
		if d := b.Differences(spec(2, 8192, ""), on(2, 8192)); len(d) != 0 {
			t.Errorf("Differences = %v; want none", d)
		}
		if d := b.Differences(spec(2, 8192, ""), on(3, 3)); len(d) != 1 || d[0] != "size unknown, want Standard_D2s_v5" {
			t.Errorf("Differences = %v; want an unknown size", d)
		}
	})
	t.Run("only the NIC exists", func(t *testing.T) {
		b := &Backend{sizes: map[string]string{"vm": ""}}
		if d := b.Differences(spec(2, 8192, ""), on(0, 0)); len(d) != 1 || !strings.Contains(d[0], "does not exist") {
			t.Errorf("Differences = %v; want the VM missing", d)
		}
	})
}

func TestImageReference(t *testing.T) {
	r, err := imageReference("Canonical:ubuntu-24_04-lts:server:latest")
	if err != nil || deref(r.Publisher) != "Canonical" || deref(r.Offer) != "ubuntu-24_04-lts" || deref(r.SKU) != "server" || deref(r.Version) != "latest" || r.ID != nil {
		t.Errorf("URN: %+v, %v", r, err)
	}
	id := "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/images/pg16"
	if r, err := imageReference(id); err != nil || deref(r.ID) != id || r.Publisher != nil {
		t.Errorf("ID: %+v, %v", r, err)
	}
	for _, bad := range []string{"", "ubuntu", "a:b:c", "a::c:d", "a:b:c:d:e"} {
		if _, err := imageReference(bad); err == nil {
			t.Errorf("imageReference(%q) accepted", bad)
		}
	}
}
