package pgbackrest

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

const (
	errWriteConfig = "cannot write pgbackrest.conf"
	errWriteCA     = "cannot write the S3 endpoint's CA certificate beside pgbackrest.conf"
	errMkdir       = "cannot create pgBackRest's directories"
	errRenderConf  = "cannot render pgbackrest.conf"
	errFailed      = "pgbackrest %s failed: %s"
	errNotRun      = "cannot run pgbackrest %s"

	// Bin is pgBackRest's program, as Debian's package installs it.
	Bin = "/usr/bin/pgbackrest"

	// dir is pgBackRest's directory beside the instance's data directory,
	// with one directory per stanza for its configuration, log and lock
	// files: an instance can be backed up into more than one repository,
	// and a restored one keeps its source's stanza beside its own.
	dir      = "pgbackrest"
	confFile = "pgbackrest.conf"
	// caFile is the S3 endpoint's CA certificate beside pgbackrest.conf,
	// when the stanza has one of its own.
	caFile = "ca.crt"
)

// A Stanza is the backups of one instance in one repository, as pgBackRest
// on the instance's machine sees them.
type Stanza struct {
	// Instance is the server whose data is backed up, or restored into.
	Instance *postgresql.Instance
	// Name is the stanza's name in the repository.
	Name string
	// Repo is the repository.
	Repo Repo
	// CA, when set, is the PEM CA certificate an S3 repository's endpoint
	// is verified against. WriteConfig writes it beside pgbackrest.conf
	// and the configuration names that file (repo1-storage-ca-file), so
	// the provider need not know where the machine keeps CAs.
	CA []byte
}

// New returns the stanza name in repo of the instance.
func New(i *postgresql.Instance, name string, repo Repo) *Stanza {
	return &Stanza{Instance: i, Name: name, Repo: repo}
}

// ConfigPath is the directory of the stanza's pgbackrest.conf on the
// instance's machine. Every command names it (--config-path), so that
// pgBackRest reads nothing else, such as the machine's /etc/pgbackrest.conf
// or its conf.d.
func (s *Stanza) ConfigPath() string { return filepath.Join(s.Instance.Dir, dir, s.Name) }

// Config returns the stanza's pgbackrest.conf settings.
func (s *Stanza) Config() Config {
	repo := s.Repo
	if repo.S3 != nil && len(s.CA) > 0 {
		// A copy, so that the caller's repository keeps its own CAFile.
		s3 := *repo.S3
		s3.CAFile = s.CAPath()
		repo.S3 = &s3
	}
	return Config{
		Stanza:    s.Name,
		Repo:      repo,
		DataDir:   s.Instance.DataDir(),
		Port:      s.Instance.Port,
		SocketDir: s.Instance.SocketDir(),
		User:      postgresql.EngineUser,
		LogPath:   filepath.Join(s.ConfigPath(), "log"),
		LockPath:  filepath.Join(s.ConfigPath(), "lock"),
	}
}

// CAPath is where the stanza's CA certificate is written on the instance's
// machine.
func (s *Stanza) CAPath() string { return filepath.Join(s.ConfigPath(), caFile) }

// WriteConfig writes pgbackrest.conf, readable by the engine user only
// since it holds the repository's credentials and passphrase, and makes
// pgBackRest's directories.
func (s *Stanza) WriteConfig(ctx context.Context) error {
	c := s.Config()
	conf, err := Render(c)
	if err != nil {
		return errors.Wrap(err, errRenderConf)
	}
	for _, d := range []string{filepath.Dir(s.ConfigPath()), s.ConfigPath(), c.LogPath, c.LockPath} {
		if err := s.Instance.MakeEngineDir(ctx, errMkdir, d, 0o700); err != nil {
			return err
		}
	}
	if s.Repo.Type == RepoPosix {
		if err := s.Instance.MakeEngineDir(ctx, errMkdir, s.Repo.Path, 0o750); err != nil {
			return err
		}
	}
	if s.Repo.S3 != nil && len(s.CA) > 0 {
		if err := s.Instance.WriteEngineFile(ctx, s.CAPath(), s.CA, 0o600); err != nil {
			return errors.Wrap(err, errWriteCA)
		}
	}
	return errors.Wrap(s.Instance.WriteEngineFile(ctx, filepath.Join(s.ConfigPath(), confFile), []byte(conf), 0o600), errWriteConfig)
}

// command returns pgBackRest's command line for the stanza: the program,
// its configuration and the stanza, then args.
func (s *Stanza) command(args ...string) []string {
	return append([]string{Bin, "--config-path=" + s.ConfigPath(), "--stanza=" + s.Name}, args...)
}

// run runs pgBackRest's command cmd with args as the engine user and
// returns its standard output. The command line holds no secret: those
// are in the configuration file.
func (s *Stanza) run(ctx context.Context, cmd string, args ...string) (string, error) {
	if err := ValidateStanza(s.Name); err != nil {
		return "", err
	}
	res, err := s.Instance.RunAsEngine(ctx, nil, nil, s.command(append(args, cmd)...)...)
	if err == nil {
		return res.Stdout, nil
	}
	if res.ExitCode == 0 {
		return "", errors.Wrapf(err, errNotRun, cmd)
	}
	return "", errors.Errorf(errFailed, cmd, strings.TrimSpace(res.Stderr+"\n"+res.Stdout))
}

// ArchiveCommand is archive_command for the instance: pgBackRest's
// archive-push of the segment. It holds paths and the stanza's name, no
// secret. archive-push logs its warnings and errors to its file, where
// LastArchiveError finds why archiving fails (pgBackRest writes no file
// log with --config-path unless told). How soon it gives up on a store is
// pgbackrest.conf's (archivePushIOTimeout), so that it can change without
// a reload of the server.
func (s *Stanza) ArchiveCommand() string {
	return executor.ShellCommand(s.command("--log-level-file=warn")...) + " archive-push %p"
}
