package steps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/internal/testing/exectest"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

func TestApplyCommands(t *testing.T) {
	cases := map[string]struct {
		step Step
		want []string
	}{
		"User": {
			step: User("postgres", "/var/lib/postgresql"),
			want: []string{"useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home --shell /usr/sbin/nologin -- postgres"},
		},
		"Directory": {
			step: Directory("/var/lib/my db", "postgres:postgres", 0o700),
			want: []string{"mkdir -p -- '/var/lib/my db' && chown -- postgres:postgres '/var/lib/my db' && chmod -- 0700 '/var/lib/my db'"},
		},
		"DirectoryWithoutOwner": {
			step: Directory("/srv", "", 0o755),
			want: []string{"mkdir -p -- /srv && chmod -- 0755 /srv"},
		},
		"Package": {
			step: Package("postgresql-16"),
			want: []string{"DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -q install -y postgresql-16 || " +
				"{ DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -q update && " +
				"DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -q install -y postgresql-16; }"},
		},
		"Service": {
			step: Service("postgresql@16-main"),
			want: []string{"systemctl enable --now -- postgresql@16-main"},
		},
		"SysctlDropInOnly": {
			step: Sysctl("vm.swappiness", "1", "/etc/sysctl.d/60-dbaas.conf", DropInOnly),
			want: []string{"write /etc/sysctl.d/60-dbaas.conf -rw-r--r--"},
		},
		"SysctlLive": {
			step: Sysctl("vm.swappiness", "1", "/etc/sysctl.d/60-dbaas.conf", ApplyLive),
			want: []string{"write /etc/sysctl.d/60-dbaas.conf -rw-r--r--", "sysctl -p /etc/sysctl.d/60-dbaas.conf"},
		},
		"Mount": {
			step: Mount("/dev/disk/by-id/data", "/var/lib/engine", "ext4"),
			want: []string{strings.Join([]string{
				"set -e",
				"dev=/dev/disk/by-id/data",
				`[ -b "$dev" ] || { echo "$dev is not a block device" >&2; exit 1; }`,
				`rc=0; blkid -p "$dev" >/dev/null 2>&1 || rc=$?`,
				`if [ "$rc" -eq 2 ]; then mkfs -t ext4 "$dev"`,
				`elif [ "$rc" -ne 0 ]; then echo "cannot tell whether $dev holds a filesystem (blkid exited $rc); not formatting it" >&2; exit 1; fi`,
				`uuid=$(blkid -p -s UUID -o value "$dev")`,
				"mkdir -p -- /var/lib/engine",
				`findmnt --fstab --noheadings --mountpoint /var/lib/engine >/dev/null || printf '%s %s %s defaults,nofail 0 2\n' "UUID=$uuid" /var/lib/engine ext4 >> /etc/fstab`,
				"findmnt --noheadings --mountpoint /var/lib/engine >/dev/null || mount -- /var/lib/engine",
			}, "\n")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := &exectest.Recorder{}
			if err := tc.step.Apply(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, r.Cmds); diff != "" {
				t.Errorf("Apply ran: -want +got:\n%s", diff)
			}
		})
	}
}

// TestChecks runs the read-only side of steps that cannot be applied in a
// test against this host.
func TestChecks(t *testing.T) {
	notMounted := t.TempDir()
	cases := map[string]struct {
		step    Step
		done    bool
		errWith string
	}{
		"PackageMissing":      {step: Package("definitely-not-a-package-xyz")},
		"PackageInstalled":    {step: Package("dpkg"), done: true},
		"PackageInvalidName":  {step: Package("--force-yes"), errWith: "invalid package name"},
		"UserExists":          {step: User("root", "/root"), done: true},
		"UserMissing":         {step: User("dbaas-no-such-user-xyz", "/nonexistent")},
		"NothingMounted":      {step: Mount("/dev/nonexistent-xyz", notMounted, "ext4")},
		"SomethingElseThere":  {step: Mount("/dev/nonexistent-xyz", "/", "ext4"), errWith: "/ is already mounted from"},
		"MountpointWithSpace": {step: Mount("/dev/nonexistent-xyz", "/data disk", "ext4"), errWith: "invalid mount point"},
		"SysctlInvalidKey":    {step: Sysctl("-w kernel.panic", "1", filepath.Join(notMounted, "x.conf"), DropInOnly), errWith: "invalid kernel parameter name"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			done, err := tc.step.Check(context.Background(), executor.Local{})
			if tc.errWith != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errWith) {
					t.Fatalf("want an error containing %q, got %v", tc.errWith, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if done != tc.done {
				t.Errorf("Check() = %v, want %v", done, tc.done)
			}
		})
	}
}

// TestMountRefusesNonBlockDevice runs the real mount script up to its first
// guard: a path that is not a block device is neither formatted nor
// mounted.
func TestMountRefusesNonBlockDevice(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "disk.img")
	if err := os.WriteFile(dev, make([]byte, 1024), 0o600); err != nil {
		t.Fatal(err)
	}
	mp := filepath.Join(dir, "mnt")
	err := Mount(dev, mp, "ext4").Apply(context.Background(), executor.Local{})
	if err == nil || !strings.Contains(err.Error(), "is not a block device") {
		t.Fatalf("want a not-a-block-device error, got %v", err)
	}
	if _, err := os.Stat(mp); !os.IsNotExist(err) {
		t.Errorf("the mount point was created: %v", err)
	}
}
