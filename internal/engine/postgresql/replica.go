package postgresql

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

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
func (i *Instance) WritePassFile(password string) (bool, error) {
	want := []byte(pgpassLine(password))
	if have, err := os.ReadFile(i.PassFile()); err == nil && bytes.Equal(have, want) {
		return false, nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, errors.Wrap(err, errPassfile)
	}
	tmp := i.PassFile() + ".tmp"
	if err := os.WriteFile(tmp, want, 0o600); err != nil {
		return false, errors.Wrap(err, errPassfile)
	}
	if err := chown(tmp); err != nil {
		return false, err
	}
	return true, errors.Wrap(os.Rename(tmp, i.PassFile()), errPassfile)
}

// InitReplica makes the instance a copy of the primary that listens on
// primaryPort with pg_basebackup, unless that completed before, and marks
// it a standby. A copy cut short (no marker) is wiped and made again. With a
// slot, the backup streams through the replica's own slot, which the
// primary must have created, so that no WAL between the backup and the
// replica's first start is lost.
func (i *Instance) InitReplica(ctx context.Context, primaryPort int32, slot, password string) error {
	if i.Initialized() {
		return nil
	}
	basebackup, err := i.bin("pg_basebackup")
	if err != nil {
		return err
	}
	if err := i.prepare(ctx); err != nil {
		return err
	}
	if _, err := i.WritePassFile(password); err != nil {
		return err
	}
	args := []string{
		"-h", Address, "-p", strconv.Itoa(int(primaryPort)), "-U", ReplicationUser,
		"-D", i.DataDir(), "-X", "stream", "--checkpoint=fast", "--no-password",
	}
	if slot != "" {
		args = append(args, "-S", slot)
	}
	env := []string{"PGPASSFILE=" + i.PassFile()}
	for _, p := range i.sslParams() {
		env = append(env, "PG"+strings.ToUpper(p[0])+"="+p[1])
	}
	if err := runEnv(ctx, i.Dir, env, basebackup, args...); err != nil {
		return errors.Wrap(err, errClone)
	}
	if err := i.markStandby(); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(i.Dir, markerFile), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return errors.Wrap(err, errMarker)
	}
	// A former primary copied afresh is a standby of the new one now.
	return i.unfence()
}

// markStandby has the server start as a standby.
func (i *Instance) markStandby() error {
	sig := filepath.Join(i.DataDir(), standbySignal)
	if err := os.WriteFile(sig, nil, 0o600); err != nil {
		return errors.Wrap(err, errSignal)
	}
	return chown(sig)
}

// IsStandby reports whether the data directory is marked to start as a
// standby.
func (i *Instance) IsStandby() bool {
	_, err := os.Stat(filepath.Join(i.DataDir(), standbySignal))
	return err == nil
}
