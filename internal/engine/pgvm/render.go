package pgvm

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/dbaas-io/dbaas/internal/engine/postgresql"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/engine/pgparams"
)

const (
	errParamValue = "the value of parameter %q holds a line break or a NUL byte"
	errHBAType    = "pg_hba rule %d: invalid type %q: want local, host, hostssl or hostnossl"
	errHBAField   = "pg_hba rule %d: invalid %s %q"
	errHBAAddress = "pg_hba rule %d: a %s rule needs an address"
	errHBALocal   = "pg_hba rule %d: a local rule takes no address"

	// header starts every file the play writes.
	header = "# Written by the dbaas provider; local edits and ALTER SYSTEM are overwritten.\n"
)

var (
	hbaWordRE = regexp.MustCompile(`^[A-Za-z0-9_.,@+/:*-]+$`)
)

// renderSettings returns postgresql.auto.conf: the play's own parameters,
// then the settings sorted by name. PostgreSQL reads it after
// postgresql.conf, so these win over what initdb wrote there. Settings
// must be in the version's allow-list, which holds none of the play's own
// parameters, no path, no command and no library.
func renderSettings(o Options) (string, error) {
	if err := pgparams.Check(o.Version, o.Settings); err != nil {
		return "", err
	}
	names := make([]string, 0, len(o.Settings))
	for n, v := range o.Settings {
		if strings.ContainsAny(v, "\r\n\x00") {
			return "", errors.Errorf(errParamValue, n)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(header)
	var qerr error
	line := func(n, v string) {
		// The engine's one quoter: it escapes backslashes too, which
		// the configuration lexer would otherwise read as escapes.
		q, err := postgresql.Quote(v)
		if err != nil && qerr == nil {
			qerr = errors.Wrapf(err, errParamValue, n)
		}
		b.WriteString(n + " = " + q + "\n")
	}
	line("listen_addresses", strings.Join(o.ListenAddresses, ","))
	line("port", strconv.Itoa(o.Port))
	line("unix_socket_directories", o.socketDir())
	for _, kv := range tlsSettings(o) {
		line(kv[0], kv[1])
	}
	for _, n := range names {
		line(n, o.Settings[n])
	}
	return b.String(), qerr
}

// parseSettings returns the parameters of a file renderSettings wrote (or
// of initdb's postgresql.auto.conf) by name, values as written.
func parseSettings(s string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		n, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		m[strings.TrimSpace(n)] = strings.TrimSpace(v)
	}
	return m
}

// renderHBA returns pg_hba.conf. Its first rule lets the OS user in over
// the unix socket as the superuser of the same name, which the play itself
// uses to reload and check the server; the given rules follow in order.
func renderHBA(o Options) (string, error) {
	var b strings.Builder
	b.WriteString(header)
	b.WriteString("# TYPE  DATABASE  USER  ADDRESS  METHOD\n")
	b.WriteString("local all " + o.OSUser + " peer\n")
	for i, r := range o.HBA {
		n := i + 1
		switch r.Type {
		case "local":
			if r.Address != "" {
				return "", errors.Errorf(errHBALocal, n)
			}
		case "host", "hostssl", "hostnossl":
			if r.Address == "" {
				return "", errors.Errorf(errHBAAddress, n, r.Type)
			}
		default:
			return "", errors.Errorf(errHBAType, n, r.Type)
		}
		fields := []struct{ what, v string }{{"database", r.Database}, {"user", r.User}, {"method", r.Method}}
		if r.Address != "" {
			fields = append(fields, struct{ what, v string }{"address", r.Address})
		}
		for _, f := range fields {
			if !hbaWordRE.MatchString(f.v) {
				return "", errors.Errorf(errHBAField, n, f.what, f.v)
			}
		}
		words := []string{r.Type, r.Database, r.User}
		if r.Address != "" {
			words = append(words, r.Address)
		}
		b.WriteString(strings.Join(append(words, r.Method), " ") + "\n")
	}
	return b.String(), nil
}

// renderUnit returns the systemd unit that runs the server. Type=notify
// makes systemctl start wait until the server accepts connections (Debian's
// and Ubuntu's builds talk to systemd); SIGINT is PostgreSQL's fast
// shutdown; RequiresMountsFor keeps the server from starting on an empty
// mount point when the data disk is missing.
func renderUnit(o Options) string {
	return strings.Join([]string{
		"# Written by the dbaas provider; local edits are overwritten.",
		"[Unit]",
		"Description=PostgreSQL " + o.Version + " (dbaas)",
		"After=network-online.target",
		"Wants=network-online.target",
		"RequiresMountsFor=" + o.dataDir(),
		"",
		"[Service]",
		"Type=notify",
		"User=" + o.OSUser,
		"Group=" + o.OSUser,
		"ExecStart=" + o.bin("postgres") + " -D " + o.dataDir(),
		"ExecReload=/bin/kill -HUP $MAINPID",
		"KillMode=mixed",
		"KillSignal=SIGINT",
		"TimeoutStartSec=infinity",
		"TimeoutStopSec=300",
		"Restart=on-failure",
		"RestartSec=5s",
		"OOMScoreAdjust=-900",
		"LimitNOFILE=65536",
		"",
		"[Install]",
		"WantedBy=multi-user.target",
		"",
	}, "\n")
}
