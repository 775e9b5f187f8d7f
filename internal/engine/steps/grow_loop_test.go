package steps

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

// TestGrowLoopDevice grows a real, mounted file system: a loop device over
// a file of the test's own is formatted and mounted by the mount step and a
// file written; then the file grows, as a disk does when storageGB grows,
// and the loop device is told. The grow step must find the file system
// smaller than the disk, grow it while it stays mounted, and keep the file;
// a second run of both steps must change nothing.
func TestGrowLoopDevice(t *testing.T) {
	needsLoopDevice(t, "blockdev", "tune2fs", "resize2fs")
	// The kernel grows a mounted ext4 only for a process with
	// CAP_SYS_RESOURCE, which containers (these machines' included) often
	// drop even for root. Without it the step must fail with the kernel's
	// refusal and leave the file system as it was; with it, it must grow it.
	canGrow := effectiveCapability(t, capSysResource)
	ctx := context.Background()
	e := executor.Local{}
	dir := t.TempDir()

	const small, large = 64 << 20, 256 << 20
	img := filepath.Join(dir, "disk.img")
	dev := loopDevice(t, img, small)
	mp := filepath.Join(dir, "data")
	fstab := filepath.Join(dir, "fstab")
	if err := os.WriteFile(fstab, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unmount(t, mp) })

	mount := MountWithFstab(dev, mp, "ext4", fstab)
	grow := GrowFilesystem(dev, mp, "ext4")
	if _, err := Run(ctx, e, []Step{mount}, nil); err != nil {
		t.Fatalf("mounting the empty disk: %v", err)
	}
	if done, err := grow.Check(ctx, e); err != nil || !done {
		t.Fatalf("Check on a file system just made on the whole disk: done=%v, err=%v; want done", done, err)
	}
	if err := os.WriteFile(filepath.Join(mp, "kept.txt"), []byte("rows"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := fsBytes(t, mp)

	// The disk grows under the mounted file system.
	if err := os.Truncate(img, large); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("losetup", "--set-capacity", dev).CombinedOutput(); err != nil {
		t.Fatalf("cannot tell %s its file grew: %v: %s", dev, err, out)
	}
	if done, err := grow.Check(ctx, e); err != nil || done {
		t.Fatalf("Check after the disk grew: done=%v, err=%v; want not done", done, err)
	}

	r, err := Run(ctx, e, []Step{mount, grow}, nil)
	if !canGrow {
		if err == nil || !strings.Contains(err.Error(), "Permission denied") {
			t.Fatalf("without CAP_SYS_RESOURCE the grow step should fail with the kernel's refusal, got report %+v and error %v", r, err)
		}
		t.Logf("without CAP_SYS_RESOURCE the online grow is refused, as expected: %v", err)
		if exec.Command("findmnt", "--mountpoint", mp).Run() != nil {
			t.Errorf("%s is no longer mounted after the refused grow", mp)
		}
		if got := fsBytes(t, mp); got != before {
			t.Errorf("the refused grow changed the file system's size from %d to %d bytes", before, got)
		}
		if b, err := os.ReadFile(filepath.Join(mp, "kept.txt")); err != nil || string(b) != "rows" {
			t.Errorf("the file written before the disk grew: %q, %v; want it kept", b, err)
		}
		if done, err := grow.Check(ctx, e); err != nil || done {
			t.Errorf("Check after the refused grow: done=%v, err=%v; want not done, so that the instance is not reported up to date", done, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("running the steps after the disk grew: %v", err)
	}
	if diff := cmp.Diff(Report{Unchanged: []string{mount.Name}, Changed: []string{grow.Name}}, r, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("report after the disk grew, -want +got:\n%s", diff)
	}
	// Still mounted: the file system grew online.
	if exec.Command("findmnt", "--mountpoint", mp).Run() != nil {
		t.Errorf("%s is no longer mounted after the grow step", mp)
	}
	after := fsBytes(t, mp)
	if after < before+(large-small)*9/10 {
		t.Errorf("the mounted file system has %d bytes after the grow step, had %d; want it about %d larger", after, before, large-small)
	}
	if b, err := os.ReadFile(filepath.Join(mp, "kept.txt")); err != nil || string(b) != "rows" {
		t.Errorf("the file written before the disk grew: %q, %v; want it kept", b, err)
	}

	r, err = Run(ctx, e, []Step{mount, grow}, nil)
	if err != nil {
		t.Fatalf("running the steps again: %v", err)
	}
	if !r.NothingChanged() {
		t.Errorf("running the steps again changed something: %+v", r)
	}
	if got := fsBytes(t, mp); got != after {
		t.Errorf("the file system has %d bytes after running the steps again, had %d", got, after)
	}
}

// capSysResource is CAP_SYS_RESOURCE's bit in the capability sets.
const capSysResource = 24

// effectiveCapability reports whether the test process has capability bit
// c in its effective set, as /proc/self/status lists it.
func effectiveCapability(t *testing.T, c uint) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			set, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatalf("cannot parse %q: %v", line, err)
			}
			return set&(1<<c) != 0
		}
	}
	t.Fatal("/proc/self/status lists no CapEff")
	return false
}

// fsBytes is the size of the file system mounted on mp, as statfs reports
// it.
func fsBytes(t *testing.T, mp string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(mp, &st); err != nil {
		t.Fatalf("statfs %s: %v", mp, err)
	}
	return int64(st.Blocks) * st.Bsize
}
