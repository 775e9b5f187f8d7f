package postgresql

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errWriteHBA = "cannot write pg_hba.conf"

	// appNetwork is where applications reach a local machine's servers
	// from: they listen on loopback.
	appNetwork = "127.0.0.0/8"
)

var hbaPlainWord = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// hbaName returns a role name as a pg_hba.conf field: double-quoted, with
// double quotes doubled, unless it is a plain lower-case identifier (a
// quoted name is also never taken for a keyword such as all).
func hbaName(n string) string {
	if hbaPlainWord.MatchString(n) && n != "all" && n != "replication" && n != "sameuser" && n != "samerole" && n != "samegroup" {
		return n
	}
	return `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
}

// renderHBA is pg_hba.conf of an instance that serves TLS. Over the unix
// socket the engine user may come in as itself (peer). Over TCP nothing
// comes in without TLS: every TCP rule is hostssl, so a plain connection
// finds no rule and is refused. The admin account, the superuser the
// provider administers the server with, comes in over TCP only from the
// provider's own address (Address: the provider runs on this host), with TLS
// and its password; from anywhere else it is rejected before the rule for
// applications can match it. Replicas stream as the replication user, with
// TLS. Applications come in with TLS and their password from the loopback
// network the machine listens on.
func renderHBA(adminUser string) string {
	admin := hbaName(adminUser)
	return strings.Join([]string{
		"# Managed by the dbaas provider. Changes are overwritten.",
		"# TYPE   DATABASE     USER  ADDRESS  METHOD",
		"local    all          all            peer",
		"hostssl  all          " + admin + "  " + Address + "/32  scram-sha-256",
		"host     all          " + admin + "  all  reject",
		"hostssl  replication  " + ReplicationUser + "  " + Address + "/32  scram-sha-256",
		"hostssl  all          all  " + appNetwork + "  scram-sha-256",
		"",
	}, "\n")
}

func (i *Instance) hbaPath() string { return filepath.Join(i.DataDir(), hbaFile) }

// hbaCurrent reports whether pg_hba.conf is the provider's, for an
// instance that serves TLS; without TLS initdb's file stays.
func (i *Instance) hbaCurrent() bool {
	if i.TLS == nil {
		return true
	}
	have, err := os.ReadFile(i.hbaPath())
	return err == nil && bytes.Equal(have, []byte(renderHBA(i.AdminUser)))
}

// writeHBA writes pg_hba.conf unless it is current, and reports whether it
// changed it; a running server reads it on reload.
func (i *Instance) writeHBA() (bool, error) {
	if i.hbaCurrent() {
		return false, nil
	}
	tmp := i.hbaPath() + ".tmp"
	if err := os.WriteFile(tmp, []byte(renderHBA(i.AdminUser)), 0o600); err != nil {
		return false, errors.Wrap(err, errWriteHBA)
	}
	if err := chown(tmp); err != nil {
		return false, err
	}
	return true, errors.Wrap(os.Rename(tmp, i.hbaPath()), errWriteHBA)
}
