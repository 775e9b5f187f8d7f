package executor

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errWrite  = "cannot write %s on %s: %s"
	errReadR  = "cannot read %s on %s: %s"
	errNoFile = "cannot read %s on %s"

	// exitMissing is how the read script says there is no such file: an
	// exit code cat never uses.
	exitMissing = 44
)

// WriteFile streams data to a temporary file beside path and renames it
// over path, so that no reader sees half a file. It needs only a shell on
// the machine, not an SFTP subsystem, which minimal images often lack.
func (s *SSH) WriteFile(ctx context.Context, p string, data []byte, mode fs.FileMode) error {
	res, err := s.Run(ctx, writeScript(p, mode), bytes.NewReader(data))
	if err != nil {
		return errors.Wrapf(err, errWrite, p, s.address, "the command did not run")
	}
	if res.ExitCode != 0 {
		return errors.Errorf(errWrite, p, s.address, strings.TrimSpace(res.Stderr))
	}
	return nil
}

// writeScript returns the shell script that writes stdin to p with mode.
func writeScript(p string, mode fs.FileMode) string {
	tmpl := path.Join(path.Dir(p), "."+path.Base(p)+".tmp-XXXXXX")
	return strings.Join([]string{
		"set -e",
		"t=$(mktemp " + ShellQuote(tmpl) + ")",
		`trap 'rm -f "$t"' EXIT`,
		`cat > "$t"`,
		fmt.Sprintf(`chmod %04o "$t"`, mode.Perm()),
		`mv -f "$t" ` + ShellQuote(p),
		"trap - EXIT",
	}, "\n")
}

// ReadFile returns the content of p on the machine.
func (s *SSH) ReadFile(ctx context.Context, p string) ([]byte, error) {
	q := ShellQuote(p)
	res, err := s.Run(ctx, fmt.Sprintf("[ -e %s ] || exit %d\nexec cat -- %s", q, exitMissing, q), nil)
	switch {
	case err != nil:
		return nil, errors.Wrapf(err, errReadR, p, s.address, "the command did not run")
	case res.ExitCode == exitMissing:
		return nil, errors.Wrapf(fs.ErrNotExist, errNoFile, p, s.address)
	case res.ExitCode != 0:
		return nil, errors.Errorf(errReadR, p, s.address, strings.TrimSpace(res.Stderr))
	}
	return []byte(res.Stdout), nil
}
