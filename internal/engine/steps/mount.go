package steps

import (
	"context"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errMountpoint   = "invalid mount point %q: it must be an absolute path without spaces"
	errMountedOther = "%s is already mounted from %s (%s), not %s (%s)"
	errFindmnt      = "cannot parse what findmnt said about %s: %q"

	// DefaultFstab is where the mount is recorded so it comes back after a
	// reboot.
	DefaultFstab = "/etc/fstab"
)

// Mount makes sure device holds a filesystem of type fstype, mounted on
// mountpoint now and after every boot. A device that already holds a
// filesystem is never formatted, whatever its type: it may hold data.
func Mount(device, mountpoint, fstype string) Step {
	return MountWithFstab(device, mountpoint, fstype, DefaultFstab)
}

// MountWithFstab is Mount recording the mount in the fstab file at fstab
// rather than /etc/fstab, and mounting from it: a test on a real loop
// device points it at a file of its own, so that it leaves no line in the
// machine's fstab.
func MountWithFstab(device, mountpoint, fstype, fstab string) Step {
	return Step{
		Name: "mount " + device + " on " + mountpoint,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			if err := validMountpoint(mountpoint); err != nil {
				return false, err
			}
			mounted, err := mountedFrom(ctx, e, device, mountpoint, fstype)
			if err != nil || !mounted {
				return false, err
			}
			res, err := e.Run(ctx, findFstab(fstab, mountpoint), nil)
			return err == nil && res.ExitCode == 0, err
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			if err := validMountpoint(mountpoint); err != nil {
				return err
			}
			_, err := runScript(ctx, e, "mount "+device+" on "+mountpoint, mountScript(device, mountpoint, fstype, fstab))
			return err
		},
	}
}

// validMountpoint refuses mount points fstab would need escapes for.
func validMountpoint(mp string) error {
	if !strings.HasPrefix(mp, "/") || strings.ContainsAny(mp, " \t\n") {
		return errors.Errorf(errMountpoint, mp)
	}
	return nil
}

// mountedFrom reports whether mountpoint is mounted from device with
// fstype. Something else mounted there is an error: the step will not
// mount over it.
func mountedFrom(ctx context.Context, e executor.Executor, device, mountpoint, fstype string) (bool, error) {
	res, err := e.Run(ctx, executor.ShellCommand("findmnt", "--noheadings", "--output", "SOURCE,FSTYPE", "--mountpoint", mountpoint), nil)
	switch {
	case err != nil:
		return false, errors.Wrapf(err, errRun, "findmnt")
	case res.ExitCode == 1:
		return false, nil // Nothing is mounted there.
	case res.ExitCode != 0:
		return false, errors.Errorf(errFailed, "findmnt", res.ExitCode, strings.TrimSpace(res.Stderr))
	}
	f := strings.Fields(res.Stdout)
	if len(f) != 2 {
		return false, errors.Errorf(errFindmnt, mountpoint, res.Stdout)
	}
	// Devices are often named by a link (/dev/disk/by-id/...) while
	// findmnt names the node the link points at.
	target, err := run(ctx, e, executor.ShellCommand("readlink", "-f", "--", device))
	if err != nil {
		return false, err
	}
	if f[0] != strings.TrimSpace(target.Stdout) || f[1] != fstype {
		return false, errors.Errorf(errMountedOther, mountpoint, f[0], f[1], device, fstype)
	}
	return true, nil
}

// mountScript formats device only when blkid finds no filesystem on it,
// records it in fstab by UUID (device names can change between boots) with
// nofail (a missing disk must not stop the machine booting, and so being
// reachable), and mounts it.
func mountScript(device, mountpoint, fstype, fstab string) string {
	return strings.Join([]string{
		"set -e",
		"dev=" + q(device),
		`[ -b "$dev" ] || { echo "$dev is not a block device" >&2; exit 1; }`,
		// blkid -p probes the device itself, not its cache. It exits 2
		// when it finds nothing; anything else non-zero means it could not
		// tell, and a disk that might hold data is not formatted.
		`rc=0; blkid -p "$dev" >/dev/null 2>&1 || rc=$?`,
		`if [ "$rc" -eq 2 ]; then mkfs -t ` + q(fstype) + ` "$dev"`,
		`elif [ "$rc" -ne 0 ]; then echo "cannot tell whether $dev holds a filesystem (blkid exited $rc); not formatting it" >&2; exit 1; fi`,
		`uuid=$(blkid -p -s UUID -o value "$dev")`,
		executor.ShellCommand("mkdir", "-p", "--", mountpoint),
		findFstab(fstab, mountpoint) + " >/dev/null || " +
			`printf '%s %s %s defaults,nofail 0 2\n' "UUID=$uuid" ` + q(mountpoint) + " " + q(fstype) + " >> " + q(fstab),
		executor.ShellCommand("findmnt", "--noheadings", "--mountpoint", mountpoint) + " >/dev/null || " + mountFromFstab(fstab, mountpoint),
	}, "\n")
}

// findFstab is the command that finds mountpoint's line in fstab.
func findFstab(fstab, mountpoint string) string {
	if fstab == DefaultFstab {
		return executor.ShellCommand("findmnt", "--fstab", "--noheadings", "--mountpoint", mountpoint)
	}
	return executor.ShellCommand("findmnt", "--fstab", "--tab-file", fstab, "--noheadings", "--mountpoint", mountpoint)
}

// mountFromFstab is the command that mounts mountpoint as fstab says.
func mountFromFstab(fstab, mountpoint string) string {
	if fstab == DefaultFstab {
		return executor.ShellCommand("mount", "--", mountpoint)
	}
	return executor.ShellCommand("mount", "--fstab", fstab, "--", mountpoint)
}
