package local

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
)

// TestNamesCannotLeaveTheBaseDirectory: the provider runs as root, and a
// machine's namespace and name are tenants' words. Names that would reach
// another namespace's machine, or above the base directory, are errors for
// every operation, and nothing on disk changes.
func TestNamesCannotLeaveTheBaseDirectory(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	base := filepath.Join(root, "machines")
	b := New(base, 27000, 27099)

	// team-b's machine, and a file beside the base directory.
	theirs := machine.ID{Namespace: "team-b", Name: "vm"}
	if _, err := b.Create(ctx, theirs, machine.Spec{CPU: 1, MemoryMiB: 256, Disks: []machine.Disk{{Name: "data", SizeGiB: 1}}}); err != nil {
		t.Fatal(err)
	}
	theirDir := workDir(t, b, theirs)
	precious := filepath.Join(root, "precious")
	if err := os.WriteFile(precious, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, id := range []machine.ID{
		{Namespace: "team-a", Name: "../team-b/vm"},
		{Namespace: "team-a", Name: "../../.."},
		{Namespace: "team-a", Name: ".."},
		{Namespace: "..", Name: "team-b"},
		{Namespace: "team-a", Name: "/etc"},
		{Namespace: "team-a", Name: ""},
	} {
		t.Run(id.Namespace+"|"+id.Name, func(t *testing.T) {
			if m, err := b.Observe(ctx, id); err == nil {
				t.Errorf("Observe: want an error, got machine %+v", m)
			}
			if _, err := b.Create(ctx, id, machine.Spec{CPU: 1}); err == nil {
				t.Error("Create: want an error")
			}
			if _, err := b.Update(ctx, id, machine.Spec{CPU: 8}); err == nil {
				t.Error("Update: want an error")
			}
			if err := b.Delete(ctx, id); err == nil {
				t.Error("Delete: want an error")
			}
		})
	}

	m, err := b.Observe(ctx, theirs)
	if err != nil || m == nil || m.CPU != 1 {
		t.Errorf("team-b's machine changed: %+v, %v", m, err)
	}
	if _, err := os.Stat(filepath.Join(theirDir, disksDir, "data.img")); err != nil {
		t.Errorf("team-b's disk is gone: %v", err)
	}
	if b, err := os.ReadFile(precious); err != nil || string(b) != "keep" {
		t.Errorf("a file outside the base directory changed: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(base, "team-a")); !os.IsNotExist(err) {
		t.Errorf("a directory was made for team-a: %v", err)
	}
}
