package pgbackrest

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// RenderRepo returns a pgbackrest.conf that names only the repository r,
// with pgBackRest's log and lock directories: enough for `info` without a
// stanza, which lists every stanza in the repository. It is how the
// provider checks a store from its own host, where no server runs. Like
// Render's, the file holds the repository's credentials and passphrase and
// is written with mode 0600.
func RenderRepo(r Repo, logPath, lockPath string) (string, error) {
	for _, p := range []struct{ what, path string }{{"log path", logPath}, {"lock path", lockPath}} {
		if !absClean(p.path) {
			return "", errors.Errorf(errAbsPath, p.what, p.path)
		}
	}
	repo, err := renderRepo(r)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("# Written by the dbaas provider to look into a store.\n[global]\n")
	for _, kv := range append(repo, [][2]string{
		{"log-path", logPath},
		{"lock-path", lockPath},
		{"log-level-console", "off"},
		{"log-level-stderr", "warn"},
		// Nothing is written to the log file: the check runs often, and
		// its errors are reported in the store's status.
		{"log-level-file", "off"},
	}...) {
		if err := option(&b, kv[0], kv[1]); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

const (
	// statusOther is info's status code for a repository it could not
	// read, whose message says why.
	statusOther = 99
	// invalidStanza is the name info gives the entry of a repository it
	// could not list.
	invalidStanza = "[invalid]"
)

// RepoInfo is what a repository holds, over every stanza.
type RepoInfo struct {
	// Stanzas are the stanzas' names, sorted.
	Stanzas []string
	// BytesUsed is what every backup takes in the repository: the sum of
	// each backup's repository delta (what that backup itself stored). The
	// WAL archive is not counted; pgBackRest does not report its size.
	BytesUsed int64
}

// ParseRepoInfo reads `pgbackrest info --output=json` run without a
// stanza.
func ParseRepoInfo(out []byte) (RepoInfo, error) {
	var all []infoJSON
	if err := json.Unmarshal(out, &all); err != nil {
		return RepoInfo{}, errors.Wrap(err, errParseInfo)
	}
	ri := RepoInfo{}
	for _, st := range all {
		// A repository pgBackRest cannot read (unreachable, refused
		// credentials, a missing bucket) is no error of the command: it
		// is an entry named "[invalid]", or a repository status of
		// "other", with pgBackRest's message.
		for _, r := range st.Repo {
			if r.Status.Code == statusOther {
				return RepoInfo{}, errors.New(BriefHTTP(r.Status.Message))
			}
		}
		if st.Name == invalidStanza {
			return RepoInfo{}, errors.New(BriefHTTP(st.Status.Message))
		}
		ri.Stanzas = append(ri.Stanzas, st.Name)
		for _, b := range st.Backup {
			ri.BytesUsed += b.Info.Repository.Delta
		}
	}
	sort.Strings(ri.Stanzas)
	return ri, nil
}
