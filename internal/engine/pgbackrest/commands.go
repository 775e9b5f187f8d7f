package pgbackrest

import (
	"context"
	"strings"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/jackc/pgx/v5"

	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

const (
	errBackupType = "backup type %q is none of full, diff and incr"
	errNoNewLabel = "pgbackrest backup succeeded but the repository shows no new backup"
	errRole       = "cannot create the role pgBackRest connects as"
	errVerify     = "the repository holds invalid backups or WAL:\n%s"
)

// Backup types: a full copy; the changes since the last full backup; the
// changes since the last backup of any type.
const (
	TypeFull = "full"
	TypeDiff = "diff"
	TypeIncr = "incr"
)

// Archiving is what the instance's Configure takes to archive its WAL into
// the stanza: archive-push of every finished segment, and a segment switch
// at least every timeout while there are writes (zero: no forced switch).
func (s *Stanza) Archiving(timeout time.Duration) (*postgresql.Archiving, error) {
	if err := ValidateStanza(s.Name); err != nil {
		return nil, err
	}
	return &postgresql.Archiving{Command: s.ArchiveCommand(), Timeout: timeout}, nil
}

// EnsureRole creates the role pgBackRest connects to the server as, the
// engine user's name, unless it exists. It is a superuser (pgBackRest
// starts and stops backups, switches WAL and reads every file) without a
// password: it logs in over the unix socket only, by peer authentication,
// as the OS user that owns the data directory anyway. The provider reaches
// the server as its admin user with adminPassword to create it.
func (s *Stanza) EnsureRole(ctx context.Context, adminPassword string) error {
	c, err := s.Instance.ConnectAdmin(ctx, adminPassword)
	if err != nil {
		return errors.Wrap(err, errRole)
	}
	defer c.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := c.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", postgresql.EngineUser).Scan(&exists); err != nil {
		return errors.Wrap(err, errRole)
	}
	if exists {
		return nil
	}
	_, err = c.Exec(ctx, "CREATE ROLE "+pgx.Identifier{postgresql.EngineUser}.Sanitize()+" WITH LOGIN SUPERUSER")
	return errors.Wrap(err, errRole)
}

// StanzaCreate writes the configuration and creates the stanza in the
// repository; creating one that exists for the same server does nothing.
// The server must run.
func (s *Stanza) StanzaCreate(ctx context.Context) error {
	if err := s.WriteConfig(ctx); err != nil {
		return err
	}
	_, err := s.run(ctx, "stanza-create")
	return err
}

// Check has the server archive a WAL segment and checks that it reached
// the repository: archiving works end to end. Its error is pgBackRest's own
// message, which names the cause.
func (s *Stanza) Check(ctx context.Context) error {
	_, err := s.run(ctx, "check")
	return err
}

// Backup takes a backup of type typ and returns its label. pgBackRest
// expires what the retention no longer keeps right after it.
func (s *Stanza) Backup(ctx context.Context, typ string) (string, error) {
	if typ != TypeFull && typ != TypeDiff && typ != TypeIncr {
		return "", errors.Errorf(errBackupType, typ)
	}
	before, err := s.Info(ctx)
	if err != nil {
		return "", err
	}
	if _, err := s.run(ctx, "backup", "--type="+typ); err != nil {
		return "", err
	}
	after, err := s.Info(ctx)
	if err != nil {
		return "", err
	}
	// pgBackRest holds the stanza's backup lock while it backs up, so the
	// one label that is new is this backup's.
	had := map[string]bool{}
	for _, b := range before.Backups {
		had[b.Label] = true
	}
	for i := len(after.Backups) - 1; i >= 0; i-- {
		if !had[after.Backups[i].Label] {
			return after.Backups[i].Label, nil
		}
	}
	return "", errors.New(errNoNewLabel)
}

// Verify checks every file of the repository's backups and archive against
// the checksums pgBackRest recorded: a corrupted backup fails it, with
// pgBackRest's report of what is invalid.
func (s *Stanza) Verify(ctx context.Context) error {
	// pgBackRest 2.45's verify exits 0 whatever it finds; only its report
	// tells.
	out, err := s.run(ctx, "verify", "--output=text")
	if err != nil {
		return err
	}
	return verified(out)
}

// verified reads verify's text report. Without --verbose it is empty when
// everything is valid; otherwise it names the stanza with a status line,
// "status: error" when something is invalid, then what.
func verified(report string) error {
	for _, l := range strings.Split(report, "\n") {
		if st, ok := strings.CutPrefix(l, "status: "); ok && strings.TrimSpace(st) != "ok" {
			return errors.Errorf(errVerify, strings.TrimSpace(report))
		}
	}
	return nil
}

// Expire removes the backups, and the WAL they need, that the retention no
// longer keeps. A label expires that one backup (and those that depend on
// it) whatever the retention.
func (s *Stanza) Expire(ctx context.Context, label string) error {
	var args []string
	if label != "" {
		args = append(args, "--set="+label)
	}
	_, err := s.run(ctx, "expire", args...)
	return err
}
