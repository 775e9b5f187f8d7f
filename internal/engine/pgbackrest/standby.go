package pgbackrest

import (
	"strconv"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errStandbyStanza = "the replica's stanza %q is not the primary's %q"
	errStandbySame   = "the replica and the primary are one server (%s)"
)

// FromStandby returns the options that make a backup started with s, the
// stanza as a replica's machine sees it, read the data files from that
// replica and only start and stop the backup on primary: pgBackRest's
// backup-standby, with pg1 the primary and pg2 the replica. They go on
// the command line, after the replica's pgbackrest.conf, which they
// override; they hold paths and ports, no secret.
//
// pgBackRest reaches both servers as local ones, over their unix sockets
// and data directories, so both must run on the machine the backup runs
// on: the local backend's members do, as processes of one host. Servers on
// two machines would need pg1-host, pgBackRest reaching the primary's
// machine over SSH or its own TLS server, which is not built.
//
// The lock path is the primary's, so that a backup from a replica and one
// from the primary take the same stanza lock and run one after the other
// rather than both writing the stanza's backup.info.
func (s *Stanza) FromStandby(primary *Stanza) ([]string, error) {
	if s.Name != primary.Name {
		return nil, errors.Errorf(errStandbyStanza, s.Name, primary.Name)
	}
	p, r := primary.Config(), s.Config()
	if p.DataDir == r.DataDir {
		return nil, errors.Errorf(errStandbySame, p.DataDir)
	}
	var out []string
	for _, pg := range []struct {
		n string
		c Config
	}{{"1", p}, {"2", r}} {
		if pg.c.SocketDir == "" {
			return nil, errors.New(errNoSocket)
		}
		if pg.c.Port < 1 || pg.c.Port > 65535 {
			return nil, errors.Errorf(errPort, pg.c.Port)
		}
		for _, d := range []struct{ what, path string }{{"data directory", pg.c.DataDir}, {"socket directory", pg.c.SocketDir}} {
			if !absClean(d.path) {
				return nil, errors.Errorf(errAbsPath, d.what, d.path)
			}
		}
		out = append(out,
			"--pg"+pg.n+"-path="+pg.c.DataDir,
			"--pg"+pg.n+"-port="+strconv.Itoa(int(pg.c.Port)),
			"--pg"+pg.n+"-socket-path="+pg.c.SocketDir,
			"--pg"+pg.n+"-user="+pg.c.User,
		)
	}
	if !absClean(p.LockPath) {
		return nil, errors.Errorf(errAbsPath, "lock path", p.LockPath)
	}
	return append(out, "--lock-path="+p.LockPath, "--backup-standby"), nil
}
