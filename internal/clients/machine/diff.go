package machine

import (
	"fmt"
	"sort"
)

// SortDisks returns the disks sorted by name, as Machine holds them.
func SortDisks(in []Disk) []Disk {
	out := append([]Disk(nil), in...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// PowerOf turns an empty power state into On, the API's default.
func PowerOf(p PowerState) PowerState {
	if p == PowerOff {
		return PowerOff
	}
	return PowerOn
}

// Differences compares CPU, memory, disks and power exactly. Backends whose
// CPU and memory are free numbers (local, vSphere, GCP custom types) use it
// as it is.
func Differences(s Spec, m *Machine) []string {
	var out []string
	if s.CPU != m.CPU {
		out = append(out, fmt.Sprintf("cpu %d, want %d", m.CPU, s.CPU))
	}
	if s.MemoryMiB != m.MemoryMiB {
		out = append(out, fmt.Sprintf("memoryMiB %d, want %d", m.MemoryMiB, s.MemoryMiB))
	}
	out = append(out, DiskDifferences(s.Disks, m.Disks)...)
	if PowerOf(s.PowerState) != m.PowerState {
		out = append(out, fmt.Sprintf("power %s, want %s", m.PowerState, PowerOf(s.PowerState)))
	}
	return out
}

// DiskDifferences compares disks by name and size.
func DiskDifferences(want, have []Disk) []string {
	var out []string
	got := map[string]int32{}
	for _, d := range have {
		got[d.Name] = d.SizeGiB
	}
	for _, d := range SortDisks(want) {
		g, ok := got[d.Name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("disk %s missing, want %d GiB", d.Name, d.SizeGiB))
		case g != d.SizeGiB:
			out = append(out, fmt.Sprintf("disk %s %d GiB, want %d GiB", d.Name, g, d.SizeGiB))
		}
		delete(got, d.Name)
	}
	for _, d := range SortDisks(have) {
		if _, extra := got[d.Name]; extra {
			out = append(out, fmt.Sprintf("disk %s is not in the spec", d.Name))
		}
	}
	return out
}
