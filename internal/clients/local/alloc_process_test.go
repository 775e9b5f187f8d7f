package local

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"

	"github.com/dbaas-io/dbaas/apis/compute/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

const (
	envChildDir   = "DBAAS_LOCAL_ALLOC_DIR"
	envChildName  = "DBAAS_LOCAL_ALLOC_NAME"
	machinesEach  = 8
	allocStart    = 27000
	allocEnd      = 27999
	allocBlock    = 3
	allocChildren = 2
)

// TestAllocChild is the body of a child process of
// TestAllocationAcrossProcesses; on its own it does nothing.
func TestAllocChild(t *testing.T) {
	dir := os.Getenv(envChildDir)
	if dir == "" {
		return
	}
	b := New(dir, allocStart, allocEnd)
	for i := range machinesEach {
		id := machine.ID{Namespace: "ns", Name: fmt.Sprintf("%s-%d", os.Getenv(envChildName), i)}
		if _, err := b.Create(context.Background(), id, machine.Spec{CPU: 1, MemoryMiB: 512, Local: &v1alpha1.LocalMachineParameters{Ports: allocBlock}}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAllocationAcrossProcesses has two provider processes and this one
// create machines in one base directory at once: no two machines may share
// a port.
func TestAllocationAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, allocChildren)
	for c := range allocChildren {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestAllocChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), envChildDir+"="+dir, envChildName+"=p"+strconv.Itoa(c))
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[c] = fmt.Errorf("%w: %s", err, out)
			}
		}()
	}
	b := New(dir, allocStart, allocEnd)
	for i := range machinesEach {
		if _, err := b.Create(context.Background(), machine.ID{Namespace: "ns", Name: "self-" + strconv.Itoa(i)}, machine.Spec{CPU: 1, MemoryMiB: 512, Local: &v1alpha1.LocalMachineParameters{Ports: allocBlock}}); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("child: %v", err)
		}
	}
	taken, err := b.takenPorts("")
	if err != nil {
		t.Fatal(err)
	}
	if want := machinesEach * (allocChildren + 1); len(taken) != want {
		t.Fatalf("want %d machines, got %d", want, len(taken))
	}
	owner := map[int32]int{}
	for i, r := range taken {
		for p := r.Start; p <= r.End; p++ {
			if j, ok := owner[p]; ok {
				t.Errorf("port %d is in the blocks of machines %d and %d", p, j, i)
			}
			owner[p] = i
		}
	}
}
