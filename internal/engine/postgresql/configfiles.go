package postgresql

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

const (
	errConfigState = "cannot read the configuration files' checksums"
	errWriteFiles  = "cannot write the configuration files"

	// hereDocEnd ends the here-documents of writeFilesScript: '_' is no
	// base64 character, so no line of their content is this one.
	hereDocEnd = "DBAAS_EOF"
	// confBegin and confEnd frame the provider's file, base64, in the
	// output of configStateScript.
	confBegin = "conf-begin"
	confEnd   = "conf-end"
)

// A configFile is one file Configure keeps: what it holds, its mode, and
// the setting whose change a new content counts as, if any. The provider's
// own file (own) has its settings compared one by one.
type configFile struct {
	path    string
	content []byte
	mode    fs.FileMode
	setting string
	own     bool
}

// configFiles are the files that make up the instance's configuration,
// with conf as the provider's file: the certificate files and pg_ident.conf
// and pg_hba.conf of an instance that serves TLS, in the order they are
// written (the map before the rules that name it), then the provider's
// file.
func (i *Instance) configFiles(conf string) ([]configFile, error) {
	var files []configFile
	if i.TLS != nil {
		for _, f := range i.tlsFiles() {
			files = append(files, configFile{path: f.path, content: f.content, mode: f.mode, setting: "ssl_cert_file"})
		}
		auth, err := i.authFiles()
		if err != nil {
			return nil, err
		}
		// New rules are no setting's change: the reload after every
		// Configure takes them up. Named hba_file, they had Reload ask
		// for a restart, hba_file (the path) being a postmaster setting:
		// a replica restarted, and a primary rolled over to a replica,
		// whenever the members and so the rules changed.
		for _, f := range auth {
			files = append(files, configFile{path: f.path, content: []byte(f.want), mode: 0o600})
		}
	}
	return append(files, configFile{path: filepath.Join(i.DataDir(), confFile), content: []byte(conf), mode: 0o600, own: true}), nil
}

// configPaths are the paths of the instance's configuration files, which
// a look and Configure take the checksums of.
func (i *Instance) configPaths() []string {
	p := []string{filepath.Join(i.DataDir(), confFile)}
	if i.TLS != nil {
		for _, f := range i.tlsFiles() {
			p = append(p, f.path)
		}
		p = append(p, i.identPath(), i.hbaPath())
	}
	return p
}

// sumsScript prints "sum <sha256> <path>" for each of paths that exists.
func sumsScript(paths []string) string {
	return executor.ShellCommand(append([]string{"sha256sum", "--"}, paths...)...) + " 2>/dev/null | sed 's/^/sum /'\n"
}

// parseSum reads one line of sha256sum's output, without sumsScript's
// prefix: the checksum, two spaces (or a space and '*') and the path.
func parseSum(line string) (path, sum string, ok bool) {
	if len(line) < 66 {
		return "", "", false
	}
	if _, err := hex.DecodeString(line[:64]); err != nil {
		return "", "", false
	}
	return line[66:], line[:64], true
}

// checksum is a file's content as sumsScript reports it.
func checksum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Current reports whether the configuration files whose checksums a look
// found (Look.Sums) hold s: whether Configure would change nothing.
func (i *Instance) Current(sums map[string]string, s Settings) (bool, error) {
	want, err := Render(s)
	if err != nil {
		return false, errors.Wrap(err, errRender)
	}
	files, err := i.configFiles(want)
	if err != nil {
		return false, err
	}
	return len(stale(files, sums)) == 0, nil
}

// stale are the files whose content differs from what sums says the
// machine holds; a file the machine does not have is stale too.
func stale(files []configFile, sums map[string]string) []configFile {
	var out []configFile
	for _, f := range files {
		if sums[f.path] != checksum(f.content) {
			out = append(out, f)
		}
	}
	return out
}

// changedSettings are the names of the settings that writing files
// changes, given the provider's file as the machine holds it (have) and
// as it will (want): the provider's own settings one by one, then the
// settings the other files count as, each once. Reload restarts the
// server for a name of a postmaster setting, so none is named for a file
// a reload takes up.
func changedSettings(files []configFile, have, want string) []string {
	var names []string
	seen := map[string]bool{}
	for _, f := range files {
		switch {
		case f.own:
			names = append(changed(have, want), names...)
		case f.setting != "" && !seen[f.setting]:
			seen[f.setting] = true
			names = append(names, f.setting)
		}
	}
	return names
}

// configStateScript prints the checksums of the configuration files
// (sumsScript) and the provider's file, base64 between confBegin and
// confEnd: its settings are compared with the new ones when it changes.
func configStateScript(paths []string, conf string) string {
	return sumsScript(paths) +
		"echo " + confBegin + "\n" +
		"[ ! -e " + executor.ShellQuote(conf) + " ] || base64 < " + executor.ShellQuote(conf) + " || exit 1\n" +
		"echo " + confEnd + "\n"
}

// parseConfigState reads configStateScript's output.
func parseConfigState(out string) (map[string]string, string, error) {
	sums := map[string]string{}
	var b64 strings.Builder
	in := false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line == confBegin:
			in = true
		case line == confEnd:
			conf, err := base64.StdEncoding.DecodeString(b64.String())
			return sums, string(conf), errors.Wrap(err, errConfigState)
		case in:
			b64.WriteString(line)
		default:
			if rest, ok := strings.CutPrefix(line, "sum "); ok {
				if p, s, ok := parseSum(rest); ok {
					sums[p] = s
				}
			}
		}
	}
	return nil, "", errors.New(errConfigState)
}

// writeFilesScript writes files as the engine user, who owns them and
// whom the server reads them as, each whole and renamed into place, the
// directory of the certificate files first created for the engine user
// alone. It is run by sh -s, which reads it from standard input: the
// contents, a private key among them, are in here-documents, never on a
// command line. Nothing in it reads standard input but the here-documents.
func writeFilesScript(dir, tlsDir string, files []configFile) string {
	var b strings.Builder
	b.WriteString("set -e\n")
	madeTLS := false
	for _, f := range files {
		if !madeTLS && filepath.Dir(f.path) == tlsDir {
			madeTLS = true
			b.WriteString(mkdirScript(tlsDir, 0o700, true) + " </dev/null\n")
		}
		fmt.Fprintf(&b, "base64 -d <<'%s' | ( %s )\n", hereDocEnd,
			asEngine(dir, nil, "sh", "-c", writeScript, "sh", f.path, fmt.Sprintf("%04o", f.mode.Perm())))
		enc := base64.StdEncoding.EncodeToString(f.content)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\n" + hereDocEnd + "\n")
	}
	return b.String()
}

// configState returns the checksums of the configuration files and the
// provider's file as the machine holds them, in one command.
func (i *Instance) configState(ctx context.Context) (map[string]string, string, error) {
	res, err := i.shell(ctx, errConfigState, configStateScript(i.configPaths(), filepath.Join(i.DataDir(), confFile)))
	if err != nil {
		return nil, "", err
	}
	return parseConfigState(res.Stdout)
}

// writeFiles writes files in one command (see writeFilesScript).
func (i *Instance) writeFiles(ctx context.Context, files []configFile) error {
	x, err := i.exec()
	if err != nil {
		return err
	}
	res, err := x.Run(ctx, "sh -s", strings.NewReader(writeFilesScript(i.Dir, i.TLSDir(), files)))
	if err != nil {
		return errors.Wrap(err, errWriteFiles)
	}
	if res.ExitCode != 0 {
		return errors.Errorf(errShell, errWriteFiles, strings.TrimSpace(res.Stderr))
	}
	return nil
}
