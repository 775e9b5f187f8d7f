package azure

import (
	"fmt"
	"strings"
)

// A Size is an Azure VM size the backend knows the CPU and memory of.
type Size struct {
	Name      string
	CPU       int32
	MemoryMiB int32
}

// sizes is the table a spec without spec.azure.size is sized from, in the
// order it is searched: by CPU, then memory, so the first fit is the
// smallest. Sizes outside it can still be named in spec.azure.size; they
// are then compared by name only.
var sizes = []Size{
	{"Standard_B1ms", 1, 2048},
	{"Standard_B2s", 2, 4096},
	{"Standard_D2s_v5", 2, 8192},
	{"Standard_E2s_v5", 2, 16384},
	{"Standard_D4s_v5", 4, 16384},
	{"Standard_E4s_v5", 4, 32768},
	{"Standard_D8s_v5", 8, 32768},
	{"Standard_E8s_v5", 8, 65536},
	{"Standard_D16s_v5", 16, 65536},
	{"Standard_E16s_v5", 16, 131072},
	{"Standard_D32s_v5", 32, 131072},
	{"Standard_E32s_v5", 32, 262144},
}

// Sizes returns the size table, smallest first.
func Sizes() []Size { return append([]Size(nil), sizes...) }

// SizeFor returns the smallest size of the table with at least cpu CPUs and
// memoryMiB of memory.
func SizeFor(cpu, memoryMiB int32) (string, error) {
	for _, s := range sizes {
		if s.CPU >= cpu && s.MemoryMiB >= memoryMiB {
			return s.Name, nil
		}
	}
	return "", fmt.Errorf("no Azure size in the provider's table has %d CPUs and %d MiB of memory (the largest is %s); name one in spec.forProvider.azure.size",
		cpu, memoryMiB, sizes[len(sizes)-1].Name)
}

// SizeOf returns the CPU and memory of a size of the table; ok is false for
// a size the table does not hold.
func SizeOf(name string) (cpu, memoryMiB int32, ok bool) {
	for _, s := range sizes {
		if strings.EqualFold(s.Name, name) {
			return s.CPU, s.MemoryMiB, true
		}
	}
	return 0, 0, false
}
