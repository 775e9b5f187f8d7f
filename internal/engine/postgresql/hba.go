package postgresql

import (
	"bytes"
	"context"
	"io/fs"
	"net"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/engine/pgroles"
)

const (
	errWriteAuth = "cannot write %s"
	errReadAuth  = "cannot read %s"
	errPeer      = "peer %q is neither an IP address nor a CIDR"

	// appNetwork is where applications reach a local machine's servers
	// from: they listen on loopback. Instance.Apps widens it for members
	// on machines that applications reach over the network.
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
// socket the admin account comes in as the OS users pg_ident.conf maps to it
// (identMap: the provider, root, the engine user), without a password; this
// line comes first because PostgreSQL takes the first line that matches and
// never falls back, so the engine user's own peer line must not catch the
// admin role. Everyone else may come in over the socket as themselves
// (peer), but for the metrics exporter's role, which the engine user comes
// in as by the map too, and which never comes in over TCP. Over TCP nothing comes in without TLS: every TCP rule is
// hostssl, so a plain connection finds no rule and is refused. The admin
// account, the superuser the provider administers the server with (over
// the socket, as the watchdog does), never comes in over TCP: its reject
// rules (all is no replication connection) are the first host rules, for
// plain text and TLS alike, so no rule after them can let it in. dbaas_admin, which the connection secret names,
// comes in with TLS from the provider's address and the peers and from
// where applications do. Replicas stream as the replication user, with
// TLS, from loopback and the peers. pg_rewind of a former primary reads the
// new primary's files as the rewind role, on the database postgres, with
// TLS, from loopback and the peers only: it may read any file of the data
// directory, so it is rejected from anywhere else before the applications'
// rule. Applications come in with TLS and their password from apps: the
// loopback network the machine listens on when it is empty. peers and apps
// are networks as hbaNetworks returns them.
func renderHBA(adminUser string, peers, apps []string) string {
	admin := hbaName(adminUser)
	lines := []string{
		"# Managed by the dbaas provider. Changes are overwritten.",
		"# TYPE   DATABASE     USER  ADDRESS  METHOD",
		"local    all          " + admin + "  peer map=" + identMap,
		"local    all          " + pgroles.Monitor + "  peer map=" + identMap,
		"local    all          all            peer",
		"host     all          " + admin + "  all  reject",
		"host     replication  " + admin + "  all  reject",
		"host     all          " + pgroles.Monitor + "  all  reject",
	}
	for _, n := range append([]string{Address + "/32"}, peers...) {
		lines = append(lines, "hostssl  all          "+pgroles.Admin+"  "+n+"  scram-sha-256")
	}
	lines = append(lines,
		"hostssl  replication  "+ReplicationUser+"  "+Address+"/32  scram-sha-256")
	for _, p := range peers {
		lines = append(lines, "hostssl  replication  "+ReplicationUser+"  "+p+"  scram-sha-256")
	}
	for _, n := range append([]string{Address + "/32"}, peers...) {
		lines = append(lines, "hostssl  postgres     "+pgroles.Rewind+"  "+n+"  scram-sha-256")
	}
	lines = append(lines, "host     all          "+pgroles.Rewind+"  all  reject")
	if len(apps) == 0 {
		apps = []string{appNetwork}
	}
	for _, a := range apps {
		lines = append(lines, "hostssl  all          all  "+a+"  scram-sha-256")
	}
	return strings.Join(append(lines, ""), "\n")
}

// hbaNetworks returns peers as pg_hba.conf addresses: a CIDR as it is, an
// address as a network of that one address. Anything else is refused, so
// that no peer adds a field or a keyword such as all to the file.
func hbaNetworks(peers []string) ([]string, error) {
	out := make([]string, 0, len(peers))
	for _, p := range peers {
		if _, n, err := net.ParseCIDR(p); err == nil {
			out = append(out, n.String())
			continue
		}
		ip := net.ParseIP(p)
		switch {
		case ip == nil:
			return nil, errors.Errorf(errPeer, p)
		case ip.To4() != nil:
			out = append(out, ip.String()+"/32")
		default:
			out = append(out, ip.String()+"/128")
		}
	}
	return out, nil
}

// hba is the provider's pg_hba.conf of the instance.
func (i *Instance) hba() (string, error) {
	peers, err := hbaNetworks(i.Peers)
	if err != nil {
		return "", err
	}
	apps, err := hbaNetworks(i.Apps)
	if err != nil {
		return "", err
	}
	return renderHBA(i.AdminUser, peers, apps), nil
}

func (i *Instance) hbaPath() string { return filepath.Join(i.DataDir(), hbaFile) }

// authFile is one of the files that say who logs in how, with what the
// provider wants in it.
type authFile struct {
	path string
	want string
}

// authFiles are pg_hba.conf and the pg_ident.conf its socket line names.
func (i *Instance) authFiles() ([]authFile, error) {
	hba, err := i.hba()
	if err != nil {
		return nil, err
	}
	ident, err := i.ident()
	if err != nil {
		return nil, err
	}
	return []authFile{{i.identPath(), ident}, {i.hbaPath(), hba}}, nil
}

// hbaCurrent reports whether pg_hba.conf and pg_ident.conf are the
// provider's, for an instance that serves TLS; without TLS initdb's files
// stay.
func (i *Instance) hbaCurrent(ctx context.Context) (bool, error) {
	if i.TLS == nil {
		return true, nil
	}
	files, err := i.authFiles()
	if err != nil {
		return false, err
	}
	for _, f := range files {
		have, err := i.readFile(ctx, f.path)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		if err != nil {
			return false, errors.Wrapf(err, errReadAuth, f.path)
		}
		if !bytes.Equal(have, []byte(f.want)) {
			return false, nil
		}
	}
	return true, nil
}

// writeHBA writes pg_ident.conf and pg_hba.conf unless they are current,
// and reports whether it changed them; a running server reads both on
// reload. The map is written first: a pg_hba.conf naming a map that is not
// there yet would let nobody in over the socket as the admin.
func (i *Instance) writeHBA(ctx context.Context) (bool, error) {
	if ok, err := i.hbaCurrent(ctx); err != nil || ok {
		return false, err
	}
	files, err := i.authFiles()
	if err != nil {
		return false, err
	}
	for _, f := range files {
		if err := i.writeFile(ctx, f.path, []byte(f.want), 0o600); err != nil {
			return false, errors.Wrapf(err, errWriteAuth, f.path)
		}
	}
	return true, nil
}
