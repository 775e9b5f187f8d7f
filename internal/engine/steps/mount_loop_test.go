package steps

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/testing/integration"
)

// TestMountLoopDevice runs the data-disk step against a real block device:
// a loop device over a file of the test's own. The first run formats the
// empty disk and mounts it; a file is written and the disk unmounted; the
// second run finds a filesystem and must mount it as it is, keeping the
// file. The mount is recorded in an fstab of the test's own, and the
// machine's /etc/fstab is left as it was.
func TestMountLoopDevice(t *testing.T) {
	needsLoopDevice(t)
	ctx := context.Background()
	e := executor.Local{}
	dir := t.TempDir()
	machineFstab, err := os.ReadFile(DefaultFstab)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}

	dev := loopDevice(t, filepath.Join(dir, "disk.img"), 64<<20)
	mp := filepath.Join(dir, "data")
	fstab := filepath.Join(dir, "fstab")
	if err := os.WriteFile(fstab, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unmount(t, mp) })

	step := MountWithFstab(dev, mp, "ext4", fstab)
	if done, err := step.Check(ctx, e); err != nil || done {
		t.Fatalf("Check on an empty disk: done=%v, err=%v; want not done", done, err)
	}
	if err := step.Apply(ctx, e); err != nil {
		t.Fatalf("first Apply: %v", err)
	}
	if done, err := step.Check(ctx, e); err != nil || !done {
		t.Fatalf("Check after the first Apply: done=%v, err=%v; want done", done, err)
	}
	if got := blkid(t, dev, "TYPE"); got != "ext4" {
		t.Fatalf("the first Apply left a %q filesystem, want ext4", got)
	}
	uuid := blkid(t, dev, "UUID")
	wantLine := "UUID=" + uuid + " " + mp + " ext4 defaults,nofail 0 2\n"
	if b, _ := os.ReadFile(fstab); string(b) != wantLine {
		t.Errorf("fstab after the first Apply:\n%s\nwant:\n%s", b, wantLine)
	}

	// Data on the disk, then the disk unmounted, as after a reboot or when
	// the disk moves to a new machine.
	if err := os.WriteFile(filepath.Join(mp, "kept.txt"), []byte("rows"), 0o600); err != nil {
		t.Fatal(err)
	}
	unmount(t, mp)
	if done, err := step.Check(ctx, e); err != nil || done {
		t.Fatalf("Check on the unmounted disk: done=%v, err=%v; want not done", done, err)
	}

	if err := step.Apply(ctx, e); err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	if got := blkid(t, dev, "UUID"); got != uuid {
		t.Errorf("the second Apply formatted the disk again: UUID %s, was %s", got, uuid)
	}
	if b, err := os.ReadFile(filepath.Join(mp, "kept.txt")); err != nil || string(b) != "rows" {
		t.Errorf("the file written before the second Apply: %q, %v; want it kept", b, err)
	}
	if done, err := step.Check(ctx, e); err != nil || !done {
		t.Errorf("Check after the second Apply: done=%v, err=%v; want done", done, err)
	}
	if b, _ := os.ReadFile(fstab); string(b) != wantLine {
		t.Errorf("fstab after the second Apply:\n%s\nwant the one line:\n%s", b, wantLine)
	}

	if b, err := os.ReadFile(DefaultFstab); string(b) != string(machineFstab) || (err != nil && !os.IsNotExist(err)) {
		t.Errorf("the machine's %s changed:\n%s\nwas:\n%s", DefaultFstab, b, machineFstab)
	}
}

// needsLoopDevice stops a test that attaches and mounts a loop device
// where it cannot: not root, or a tool (the mount step's, and extra) is
// missing.
func needsLoopDevice(t *testing.T, extra ...string) {
	t.Helper()
	integration.Needs(t, "root, a loop device and e2fsprogs (make deps)")
	if os.Geteuid() != 0 {
		t.Fatal("this test attaches a loop device and mounts it: run it as root, as CI does")
	}
	for _, tool := range append([]string{"losetup", "mkfs.ext4", "blkid", "findmnt", "mount", "umount"}, extra...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run make deps", tool)
		}
	}
}

// loopDevice attaches a loop device to a new file of size bytes at img and
// detaches that device, by its name, when the test ends.
func loopDevice(t *testing.T, img string, size int64) string {
	t.Helper()
	f, err := os.Create(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("losetup", "--find", "--show", "--", img).Output()
	if err != nil {
		t.Fatalf("cannot attach a loop device to %s: %v", img, err)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if out, err := exec.Command("losetup", "--detach", dev).CombinedOutput(); err != nil {
			t.Errorf("cannot detach %s: %v: %s", dev, err, out)
		}
	})
	return dev
}

// unmount unmounts whatever is mounted on mp, by path.
func unmount(t *testing.T, mp string) {
	t.Helper()
	if exec.Command("findmnt", "--mountpoint", mp).Run() != nil {
		return // Nothing mounted there.
	}
	if out, err := exec.Command("umount", "--", mp).CombinedOutput(); err != nil {
		t.Errorf("cannot unmount %s: %v: %s", mp, err, out)
	}
}

// blkid returns the value of tag (TYPE, UUID) that blkid finds on dev
// itself, not in its cache.
func blkid(t *testing.T, dev, tag string) string {
	t.Helper()
	out, err := exec.Command("blkid", "-p", "-s", tag, "-o", "value", "--", dev).Output()
	if err != nil {
		t.Fatalf("blkid %s: %v", dev, err)
	}
	return strings.TrimSpace(string(out))
}
