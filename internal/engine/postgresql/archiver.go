package postgresql

import (
	"context"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const errArchiver = "cannot read pg_stat_archiver"

// Archiver is what the server's archiver reports (pg_stat_archiver): the
// last segment archive_command archived and the last one it failed on.
// Both counts start again at zero when the server's statistics do, after a
// crash or on a new primary.
type Archiver struct {
	ArchivedCount int64
	LastArchived  string
	// LastArchivedTime is zero when nothing was archived yet.
	LastArchivedTime time.Time
	FailedCount      int64
	LastFailed       string
	// LastFailedTime is zero when nothing failed yet.
	LastFailedTime time.Time
}

// ArchiverStatus reads pg_stat_archiver as the admin user: one cheap query,
// which the provider asks on every look at an instance that archives.
func (i *Instance) ArchiverStatus(ctx context.Context, password string) (Archiver, error) {
	c, err := i.ConnectAdmin(ctx, password)
	if err != nil {
		return Archiver{}, err
	}
	defer c.Close(context.WithoutCancel(ctx))
	var a Archiver
	var archivedAt, failedAt *time.Time
	err = c.QueryRow(ctx, `SELECT archived_count, coalesce(last_archived_wal, ''), last_archived_time,
		failed_count, coalesce(last_failed_wal, ''), last_failed_time FROM pg_stat_archiver`).
		Scan(&a.ArchivedCount, &a.LastArchived, &archivedAt, &a.FailedCount, &a.LastFailed, &failedAt)
	if err != nil {
		return Archiver{}, errors.Wrap(err, errArchiver)
	}
	if archivedAt != nil {
		a.LastArchivedTime = *archivedAt
	}
	if failedAt != nil {
		a.LastFailedTime = *failedAt
	}
	return a, nil
}
