package postgresql

import (
	"bytes"
	"context"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errPassfile = "cannot write the replication password file"
	errSignal   = "cannot mark the data directory as a standby's"
	errClone    = "cannot copy the primary's data directory"

	passFile      = "replication.pgpass"
	standbySignal = "standby.signal"
)

// PassFile is the replication user's password file of a member. It lives
// beside the data directory, readable by the engine user only, so that the
// password never is on a command line or in a configuration file.
func (i *Instance) PassFile() string { return filepath.Join(i.Dir, passFile) }

// WritePassFile writes the replication password file unless it holds the
// password already. It reports whether it wrote the file.
func (i *Instance) WritePassFile(ctx context.Context, password string) (bool, error) {
	want := []byte(pgpassLine(password))
	if have, err := i.readFile(ctx, i.PassFile()); err == nil && bytes.Equal(have, want) {
		return false, nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, errors.Wrap(err, errPassfile)
	}
	return true, errors.Wrap(i.writeFile(ctx, i.PassFile(), want, 0o600), errPassfile)
}

// InitReplica makes the instance a copy of the primary that listens on
// primaryHost and primaryPort with pg_basebackup, unless that completed
// before, and marks it a standby. A copy cut short (no marker) is wiped and
// made again. With a slot, the backup streams through the replica's own
// slot, which the primary must have created, so that no WAL between the
// backup and the replica's first start is lost.
func (i *Instance) InitReplica(ctx context.Context, primaryHost string, primaryPort int32, slot, password string) error {
	if done, err := i.Initialized(ctx); err != nil || done {
		return err
	}
	basebackup, err := i.bin(ctx, "pg_basebackup")
	if err != nil {
		return err
	}
	if err := i.prepare(ctx); err != nil {
		return err
	}
	if _, err := i.WritePassFile(ctx, password); err != nil {
		return err
	}
	// The primary runs with a 5 s wal_sender_timeout (replication.go) and
	// asks for a reply at half of it; pg_basebackup's WAL stream otherwise
	// reports only every 10 s, so on a starved machine one late reply ends
	// the copy ("could not receive data from WAL stream"). A report every
	// second keeps the stream up through a few seconds without a turn.
	args := []string{
		"-h", primaryHost, "-p", strconv.Itoa(int(primaryPort)), "-U", ReplicationUser,
		"-D", i.DataDir(), "-X", "stream", "--checkpoint=fast", "--no-password",
		"--status-interval=" + basebackupStatusInterval,
	}
	if slot != "" {
		args = append(args, "-S", slot)
	}
	env := []string{"PGPASSFILE=" + i.PassFile()}
	for _, p := range i.sslParams() {
		env = append(env, "PG"+strings.ToUpper(p[0])+"="+p[1])
	}
	if err := i.runEnv(ctx, env, basebackup, args...); err != nil {
		return errors.Wrap(err, errClone)
	}
	if err := i.markStandby(ctx); err != nil {
		return err
	}
	if err := i.mark(ctx); err != nil {
		return err
	}
	// A former primary copied afresh is a standby of the new one now.
	return i.unfence(ctx)
}

// markStandby has the server start as a standby.
func (i *Instance) markStandby(ctx context.Context) error {
	return errors.Wrap(i.writeFile(ctx, filepath.Join(i.DataDir(), standbySignal), nil, 0o600), errSignal)
}

// IsStandby reports whether the data directory is marked to start as a
// standby.
func (i *Instance) IsStandby(ctx context.Context) (bool, error) {
	return i.fileExists(ctx, filepath.Join(i.DataDir(), standbySignal))
}
