package postgresql

import (
	"path/filepath"
	"regexp"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
)

const (
	errOSUser   = "OS user %q cannot be mapped to the admin role in pg_ident.conf: a name that is not a plain user name could be taken for a pattern"
	errPeerUser = "cannot tell which OS user the provider reaches the server's socket as"

	identFile = "pg_ident.conf"

	// identMap is the pg_ident.conf map of the OS users that may log in
	// over the unix socket as the admin role.
	identMap = "dbaas"
)

// osUserName is what a Linux user name may be. A name beginning with a
// slash would be a regular expression in pg_ident.conf.
var osUserName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// renderIdent is pg_ident.conf of an instance that serves TLS: the OS users
// that log in over the socket as the admin role. They are the engine user
// (the server's own tools, pgBackRest), root, and the user the provider's
// socket connections come from (this process's user here, the login user
// over SSH, who may run anything as root through sudo anyway); nobody else
// becomes the superuser. The engine user may also log in as the metrics
// exporter's role (pgroles.Monitor). osUsers must be plain names (checked by identUsers).
func renderIdent(adminUser string, osUsers []string) string {
	lines := []string{
		"# Managed by the dbaas provider. Changes are overwritten.",
		"# MAPNAME  SYSTEM-USERNAME  PG-USERNAME",
	}
	for _, u := range osUsers {
		lines = append(lines, identMap+"  "+hbaName(u)+"  "+hbaName(adminUser))
	}
	// The metrics exporter runs as the engine user, beside the server.
	lines = append(lines, identMap+"  "+engineUser+"  "+pgroles.Monitor)
	return strings.Join(append(lines, ""), "\n")
}

// identUsers returns the OS users renderIdent maps to the admin role on the
// machine that x reaches, each once.
func identUsers(x executor.Executor) ([]string, error) {
	users := []string{engineUser, "root"}
	if d, ok := x.(executor.UnixDialer); ok {
		u, err := d.PeerUser()
		if err != nil {
			return nil, errors.Wrap(err, errPeerUser)
		}
		users = append(users, u)
	}
	out := make([]string, 0, len(users))
	seen := map[string]bool{}
	for _, u := range users {
		if !osUserName.MatchString(u) {
			return nil, errors.Errorf(errOSUser, u)
		}
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out, nil
}

// ident is the provider's pg_ident.conf of the instance.
func (i *Instance) ident() (string, error) {
	x, err := i.exec()
	if err != nil {
		return "", err
	}
	users, err := identUsers(x)
	if err != nil {
		return "", err
	}
	return renderIdent(i.AdminUser, users), nil
}

func (i *Instance) identPath() string { return filepath.Join(i.DataDir(), identFile) }
