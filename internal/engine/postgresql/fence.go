package postgresql

import (
	"context"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errFence     = "cannot fence the member"
	errUnfence   = "cannot lift the member's fence"
	errFenced    = "the member was fenced at epoch %d when another member was promoted: it must rejoin as a replica before it starts"
	errBadLSN    = "invalid WAL position %q"
	errDiscard   = "cannot discard the member's data directory"
	errReadFence = "cannot read the member's fence"

	// fenceFile lives beside the data directory, so that neither pg_rewind
	// nor a base backup touches it. While it exists Start refuses.
	fenceFile = "dbaas.fenced"
)

// Fence makes sure the member never takes writes again as a primary: a
// marker beside the data directory that Start refuses to ignore, recording
// the epoch that fenced it, and standby.signal in the data directory, so
// that even a server started by hand comes up read-only. A server that
// still runs (a primary that was only unreachable) is stopped. Fencing a
// fenced member again keeps its first epoch.
func (i *Instance) Fence(ctx context.Context, epoch int64) error {
	if _, fenced, err := i.Fenced(ctx); err != nil {
		return err
	} else if !fenced {
		if err := i.writeRootFile(ctx, filepath.Join(i.Dir, fenceFile), []byte(strconv.FormatInt(epoch, 10)+"\n"), 0o644); err != nil {
			return errors.Wrap(err, errFence)
		}
	}
	data, err := i.dirExists(ctx, i.DataDir())
	if err != nil {
		return errors.Wrap(err, errFence)
	}
	if data {
		standby, err := i.IsStandby(ctx)
		if err != nil {
			return errors.Wrap(err, errFence)
		}
		if !standby {
			if err := i.markStandby(ctx); err != nil {
				return errors.Wrap(err, errFence)
			}
		}
	}
	return errors.Wrap(i.Stop(ctx), errFence)
}

// FenceFile is the member's fence marker, which the self-fencing watchdog
// beside the member writes in the same format when it fences an isolated
// primary.
func (i *Instance) FenceFile() string { return filepath.Join(i.Dir, fenceFile) }

// Fenced reports whether the member is fenced and at which epoch.
func (i *Instance) Fenced(ctx context.Context) (int64, bool, error) {
	b, err := i.readFile(ctx, filepath.Join(i.Dir, fenceFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, errors.Wrap(err, errReadFence)
	}
	// A marker that cannot be read as an epoch still fences.
	epoch, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return epoch, true, nil
}

// IsFenced reports whether the member is fenced; a marker that cannot be
// read, or a machine that cannot be asked, counts as a fence.
func (i *Instance) IsFenced(ctx context.Context) bool {
	_, fenced, err := i.Fenced(ctx)
	return fenced || err != nil
}

// unfence lifts the fence once the member is a standby of the new primary.
func (i *Instance) unfence(ctx context.Context) error {
	return i.remove(ctx, errUnfence, filepath.Join(i.Dir, fenceFile))
}

// Discard has the member copied afresh from the primary by the next
// InitReplica, for a former primary that pg_rewind cannot bring back. The
// fence stays until the copy is complete.
func (i *Instance) Discard(ctx context.Context) error {
	if err := i.Stop(ctx); err != nil {
		return err
	}
	return i.remove(ctx, errDiscard, filepath.Join(i.Dir, markerFile))
}

// ParseLSN returns a WAL position such as 0/3000148 as a number, so that
// positions compare.
func ParseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, errors.Errorf(errBadLSN, s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, errors.Errorf(errBadLSN, s)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, errors.Errorf(errBadLSN, s)
	}
	return h<<32 | l, nil
}
