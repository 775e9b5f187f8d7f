package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/clients/ownership"
)

// TestOwnerRecorded: Create records the owner in machine.json, Mark
// replaces it, and a directory of the name that holds files but no
// machine.json is never taken for a machine.
func TestOwnerRecorded(t *testing.T) {
	ctx := context.Background()
	b := New(t.TempDir(), 21000, 21099)
	b.free = func(int32) bool { return true }
	id := machine.ID{Namespace: "team-a", Name: "vm"}
	mine, theirs := ownership.Owner{Namespace: "team-a", UID: "0a"}, ownership.Owner{Namespace: "team-b", UID: "0b"}

	if _, err := b.Create(ctx, id, machine.Spec{CPU: 1, Owner: mine}); err != nil {
		t.Fatal(err)
	}
	if m, err := b.Observe(ctx, id); err != nil || m == nil || m.Owner == nil || *m.Owner != mine {
		t.Fatalf("Observe after Create = %+v, %v; want owner %s", m, err, mine)
	}
	if err := b.Mark(ctx, id, theirs); err != nil {
		t.Fatal(err)
	}
	if m, _ := b.Observe(ctx, id); m == nil || m.Owner == nil || *m.Owner != theirs {
		t.Errorf("Observe after Mark = %+v; want owner %s", m, theirs)
	}

	// An empty directory (a create cut short before its record) is used.
	cut := machine.ID{Namespace: "team-a", Name: "cut-short"}
	if err := os.MkdirAll(filepath.Join(workDir(t, b, cut), disksDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(ctx, cut, machine.Spec{CPU: 1, Owner: mine}); err != nil {
		t.Errorf("Create over an empty directory: %v", err)
	}

	// A directory with someone's files is refused and left as it is.
	other := machine.ID{Namespace: "team-a", Name: "files"}
	dir := workDir(t, b, other)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data.txt"), []byte("kept"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(ctx, other, machine.Spec{CPU: 1, Owner: mine}); err == nil || !strings.Contains(err.Error(), "is not a machine this provider made") {
		t.Errorf("Create over a directory of files: %v; want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(dir, machineFile)); !os.IsNotExist(err) {
		t.Errorf("machine.json written into a directory of files: %v", err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "data.txt")); err != nil || string(data) != "kept" {
		t.Errorf("data.txt after the refused Create: %q, %v", data, err)
	}
}
