package postgresql

import (
	"strconv"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const errArchiveCommand = "WAL archiving needs an archive command"

// Archiving are the provider's own WAL archiving settings: the server hands
// every finished WAL segment to Command. Tenants may not set archive_* (the
// command runs as the engine's OS user), so these never pass through the
// free-form parameters and their allow-list.
type Archiving struct {
	// Command is archive_command; %p stands for the segment's path. The
	// provider builds it (pgBackRest's archive-push); it must hold no
	// secret, since the server shows it to whoever may read settings.
	Command string
	// Timeout is archive_timeout: the server switches to a new segment,
	// and so archives, at least this often while there are writes, which
	// bounds what a lost machine loses when writes are rare. Zero keeps
	// PostgreSQL's default (no forced switch).
	Timeout time.Duration
}

// render writes the archiving settings. archive_mode takes effect at the
// next start only; the command and the timeout at a reload.
func (a *Archiving) render(line func(name, value string)) error {
	if a.Command == "" {
		return errors.New(errArchiveCommand)
	}
	cmd, err := Quote(a.Command)
	if err != nil {
		return errors.Errorf(errParamNUL, "archive_command")
	}
	line("archive_mode", "on")
	line("archive_command", cmd)
	if a.Timeout > 0 {
		line("archive_timeout", "'"+strconv.Itoa(int(a.Timeout.Round(time.Second)/time.Second))+"s'")
	}
	return nil
}
