package pgbackrest

import (
	"bytes"
	"context"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errReadConfig = "cannot read pgbackrest.conf"
	errReadLog    = "cannot read pgBackRest's archive-push log"

	// logTail bounds how much of the end of archive-push's log is read:
	// the last error is near the end, and the log grows with every
	// segment.
	logTail = "65536"
)

// ConfigCurrent reports whether the stanza's pgbackrest.conf on the
// instance's machine, and its CA certificate, are what WriteConfig would
// write: reading two small files is cheap enough for every look.
func (s *Stanza) ConfigCurrent(ctx context.Context) (bool, error) {
	want, err := Render(s.Config())
	if err != nil {
		return false, errors.Wrap(err, errRenderConf)
	}
	files := map[string][]byte{filepath.Join(s.ConfigPath(), confFile): []byte(want)}
	if s.Repo.S3 != nil && len(s.CA) > 0 {
		files[s.CAPath()] = s.CA
	}
	for path, data := range files {
		have, err := s.Instance.Exec.ReadFile(ctx, path)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, errors.Wrap(err, errReadConfig)
		}
		if !bytes.Equal(have, data) {
			return false, nil
		}
	}
	return true, nil
}

// ArchivePushLog is the log archive-push writes on the instance's machine
// for this stanza: pgBackRest names it <stanza>-<command>.log in its log
// path.
func (s *Stanza) ArchivePushLog() string {
	return filepath.Join(s.Config().LogPath, s.Name+"-archive-push.log")
}

// LastArchiveError returns pgBackRest's own message of the last error
// archive-push logged for the stanza, or "" when its log holds none. The
// server only says that archive_command failed; this says why (the store
// cannot be reached, the credentials are refused, ...).
func (s *Stanza) LastArchiveError(ctx context.Context) (string, error) {
	res, err := s.Instance.RunAsEngine(ctx, nil, nil, "tail", "-c", logTail, s.ArchivePushLog())
	if err != nil {
		if strings.Contains(res.Stderr, "No such file") {
			return "", nil
		}
		return "", errors.Wrap(err, errReadLog)
	}
	return lastError(res.Stdout), nil
}

// lastError returns the last ERROR entry of a pgBackRest log: the line
// that says ERROR and the lines that continue it, up to the next entry,
// which starts with its date. The entry's time and process are left out.
func lastError(log string) string {
	lines := strings.Split(log, "\n")
	for n := len(lines) - 1; n >= 0; n-- {
		_, msg, ok := strings.Cut(lines[n], "ERROR: ")
		if !ok {
			continue
		}
		out := []string{strings.TrimSpace(msg)}
		// A message's further lines are indented; the next entry starts
		// with its date, or a line of dashes when a process starts.
		for _, l := range lines[n+1:] {
			if l == "" || l[0] != ' ' {
				break
			}
			out = append(out, strings.TrimSpace(l))
		}
		return BriefHTTP(strings.Join(out, " "))
	}
	return ""
}
