package backup

import (
	"fmt"
	"time"

	"github.com/dbaas-io/dbaas/apis/ops/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/pgbackrest"
)

const (
	// retryAfter is how long a backup that found the stanza locked (another
	// backup, or an expire, runs) waits before it starts again.
	retryAfter = 10 * time.Second

	msgWaiting   = "waiting: another backup or expire of this instance holds pgBackRest's stanza lock; starting again every %s"
	msgNoBackup  = "pgbackrest backup exited 0 but the store lists no backup annotated %s=%s"
	msgExited    = "pgbackrest backup exited with %d: %s"
	msgGone      = "pgbackrest backup stopped without finishing (killed, or its machine restarted); its last words: %s"
	msgNoTrace   = "VirtualMachine %s has no trace of this backup: its machine may have been replaced"
	msgNoWords   = "(none)"
	msgNotListed = "the store no longer lists backup %s: retention or someone else expired it"
)

// observed is what a look at a started backup found.
type observed struct {
	// run is the backup's process on its member.
	run pgbackrest.Run
	// found is the backup in the store carrying the Backup's annotation.
	found *pgbackrest.Backup
	// started is when it was last started.
	started time.Time
	now     time.Time
	// id is the run's ID (the Backup's UID) and member its VirtualMachine.
	id, member string
}

// verdict is what the look means for the Backup.
type verdict struct {
	phase   v1alpha1.BackupPhase
	message string
	// restart says to start the backup again: it found the stanza locked
	// and has waited retryAfter.
	restart bool
}

// decide turns a look into the Backup's phase. The store listing the
// backup is what completes it, whatever the process says. A locked stanza
// is a wait, never a failure: two backups asked at once run one after the
// other.
func decide(o observed) verdict {
	switch {
	case o.found != nil:
		return verdict{phase: v1alpha1.BackupCompleted}
	case o.run.State == pgbackrest.RunRunning:
		return verdict{phase: v1alpha1.BackupRunning}
	case o.run.State == pgbackrest.RunExited && o.run.ExitCode == pgbackrest.ExitLockHeld:
		return verdict{
			phase:   v1alpha1.BackupPending,
			message: fmt.Sprintf(msgWaiting, retryAfter),
			restart: o.now.Sub(o.started) >= retryAfter,
		}
	case o.run.State == pgbackrest.RunExited && o.run.ExitCode == 0:
		return verdict{phase: v1alpha1.BackupFailed, message: fmt.Sprintf(msgNoBackup, pgbackrest.AnnotationKey, o.id)}
	case o.run.State == pgbackrest.RunExited:
		return verdict{phase: v1alpha1.BackupFailed, message: fmt.Sprintf(msgExited, o.run.ExitCode, words(o.run.Output))}
	case o.run.State == pgbackrest.RunGone:
		return verdict{phase: v1alpha1.BackupFailed, message: fmt.Sprintf(msgGone, words(o.run.Output))}
	default:
		return verdict{phase: v1alpha1.BackupFailed, message: fmt.Sprintf(msgNoTrace, o.member)}
	}
}

// words are pgBackRest's words for why it failed: its output from the
// first error on.
func words(s string) string {
	s = pgbackrest.ErrorLines(s)
	if s == "" {
		return msgNoWords
	}
	return s
}

// findAnnotated returns the backup in info taken with the annotation id.
func findAnnotated(info pgbackrest.Info, id string) *pgbackrest.Backup {
	for i := range info.Backups {
		if info.Backups[i].Annotations[pgbackrest.AnnotationKey] == id {
			return &info.Backups[i]
		}
	}
	return nil
}

// findLabel returns the backup labelled label in info.
func findLabel(info pgbackrest.Info, label string) *pgbackrest.Backup {
	for i := range info.Backups {
		if info.Backups[i].Label == label {
			return &info.Backups[i]
		}
	}
	return nil
}
