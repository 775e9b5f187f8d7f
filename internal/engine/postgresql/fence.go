package postgresql

import (
	"context"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
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
// fenced member again keeps its first epoch. The markers and the look for
// a postmaster are one command: a failover fences the former primary
// with the instance writable nowhere, and over SSH each command is a
// round trip through sudo. Only a server that still runs costs more.
func (i *Instance) Fence(ctx context.Context, epoch int64) error {
	res, err := i.shell(ctx, errFence, fenceScript(i.Dir, i.DataDir(), epoch))
	if err != nil {
		return err
	}
	l, err := parseLook(res.Stdout, i.DataDir())
	if err != nil {
		return errors.Wrap(err, errFence)
	}
	if !l.Running {
		return nil
	}
	return errors.Wrap(i.Stop(ctx), errFence)
}

// fenceScript writes the fence marker with epoch unless the member is
// fenced already, and standby.signal, as the engine user, in a data
// directory that has none, then prints the postmaster (postmasterScript)
// and lookEnd. Each file is written whole and renamed into place.
func fenceScript(dir, dataDir string, epoch int64) string {
	q := executor.ShellQuote
	marker := filepath.Join(dir, fenceFile)
	signal := filepath.Join(dataDir, standbySignal)
	return "f=" + q(marker) + "\n" +
		"if [ ! -e \"$f\" ]; then\n" +
		"  t=$(mktemp \"$f.tmp-XXXXXX\") && printf '%s\\n' " + strconv.FormatInt(epoch, 10) + " > \"$t\" && chmod 0644 \"$t\" && mv -f \"$t\" \"$f\" || exit 1\n" +
		"fi\n" +
		"if [ -d " + q(dataDir) + " ] && [ ! -e " + q(signal) + " ]; then\n" +
		"  ( " + asEngine(dir, nil, "sh", "-c", writeScript, "sh", signal, "0600") + " ) </dev/null || exit 1\n" +
		"fi\n" +
		postmasterScript(dataDir) +
		"echo " + lookEnd + "\n"
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
