package steps

import (
	"context"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errNotMounted = "%s is not mounted on %s: the file system is grown only while mounted, after the mount step"
	errDeviceSize = "cannot read the size of %s from blockdev: %q"
	errTune2fs    = "tune2fs -l %s printed no block count and block size: is it an ext2, ext3 or ext4 file system?"

	// growMargin is how much smaller than its device a file system may be
	// and still count as filling it. resize2fs leaves a tail too small to
	// hold a block group's metadata unused, and rounds down to whole
	// blocks, so an exact comparison would never be met; a disk grows by
	// whole gigabytes, so a grown disk is always far past the margin.
	growMargin = 16 << 20
)

// GrowFilesystem makes the ext2, ext3 or ext4 file system on device, which
// the mount step mounted on mountpoint, fill the device: after the disk
// grew (a larger storageGB), resize2fs grows the mounted file system
// online, without stopping the server. Its check only reads two sizes, so
// every play run can afford it.
func GrowFilesystem(device, mountpoint, fstype string) Step {
	return Step{
		Name: "grow the file system on " + device,
		Check: func(ctx context.Context, e executor.Executor) (bool, error) {
			// Growing an unmounted ext4 needs an e2fsck first, which this
			// step does not run: it only ever grows a mounted one.
			mounted, err := mountedFrom(ctx, e, device, mountpoint, fstype)
			if err != nil {
				return false, err
			}
			if !mounted {
				return false, errors.Errorf(errNotMounted, device, mountpoint)
			}
			dev, err := deviceSize(ctx, e, device)
			if err != nil {
				return false, err
			}
			fs, err := ext4Size(ctx, e, device)
			if err != nil {
				return false, err
			}
			return fs+growMargin >= dev, nil
		},
		Apply: func(ctx context.Context, e executor.Executor) error {
			_, err := run(ctx, e, executor.ShellCommand("resize2fs", device))
			return err
		},
	}
}

// deviceSize is the size of the block device in bytes, as the kernel now
// sees it.
func deviceSize(ctx context.Context, e executor.Executor, device string) (int64, error) {
	// blockdev takes no "--"; the device is an absolute path, so it cannot
	// be read as an option.
	res, err := run(ctx, e, executor.ShellCommand("blockdev", "--getsize64", device))
	if err != nil {
		return 0, err
	}
	n, perr := strconv.ParseInt(strings.TrimSpace(res.Stdout), 10, 64)
	if perr != nil {
		return 0, errors.Errorf(errDeviceSize, device, res.Stdout)
	}
	return n, nil
}

// ext4Size is the size of the ext2/3/4 file system on device in bytes, as
// its superblock says: block count times block size. Unlike statfs, it
// counts the file system's own metadata, so it is comparable with the
// device's size.
func ext4Size(ctx context.Context, e executor.Executor, device string) (int64, error) {
	res, err := run(ctx, e, executor.ShellCommand("tune2fs", "-l", device))
	if err != nil {
		return 0, err
	}
	var count, size int64
	for _, line := range strings.Split(res.Stdout, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "Block count":
			count, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		case "Block size":
			size, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	if count <= 0 || size <= 0 {
		return 0, errors.Errorf(errTune2fs, device)
	}
	return count * size, nil
}
