package postgresql

import (
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/dbaas-io/dbaas/internal/engine/pgparams"
)

const (
	errParamNUL = "value of parameter %q holds a NUL byte"
)

// Settings are what the provider writes into the configuration file it owns.
type Settings struct {
	// Version is the engine's version, which chooses the allow-list the
	// free-form Parameters are checked against.
	Version string
	// Host is the address the server listens on; empty means Address.
	Host string
	// Listen, when set, replaces Host in listen_addresses ("*" on a VM).
	Listen          string
	Port            int32
	SocketDir       string
	MaxConnections  *int32
	SharedBuffersMB *int32
	Parameters      map[string]string
	// Replication is set for members of a replicated instance.
	Replication *Replication
	// TLSDir holds server.crt and server.key when the server serves TLS;
	// empty means no TLS.
	TLSDir string
	// Archiving is set when the server archives its WAL (to a backup
	// repository).
	Archiving *Archiving
}

// Render returns the include file for s: one `name = 'value'` line per
// setting. Free-form parameters must be in the version's allow-list, which
// holds none of the settings the provider writes after them; they come
// first, sorted, so that the typed settings and the provider's own
// settings after them would win all the same.
func Render(s Settings) (string, error) {
	if err := pgparams.Check(s.Version, s.Parameters); err != nil {
		return "", err
	}
	names := make([]string, 0, len(s.Parameters))
	for n := range s.Parameters {
		names = append(names, n)
	}
	sort.Strings(names)

	var b strings.Builder
	b.WriteString("# Managed by the dbaas provider. Changes are overwritten.\n")
	line := func(name, value string) {
		b.WriteString(name + " = " + value + "\n")
	}
	for _, n := range names {
		v, err := Quote(s.Parameters[n])
		if err != nil {
			return "", errors.Errorf(errParamNUL, n)
		}
		line(n, v)
	}
	if s.MaxConnections != nil {
		line("max_connections", strconv.Itoa(int(*s.MaxConnections)))
	}
	if s.SharedBuffersMB != nil {
		line("shared_buffers", "'"+strconv.Itoa(int(*s.SharedBuffersMB))+"MB'")
	}
	host := s.Host
	if s.Listen != "" {
		host = s.Listen
	}
	if host == "" {
		host = Address
	}
	listen, err := Quote(host)
	if err != nil {
		return "", errors.Errorf(errParamNUL, "listen_addresses")
	}
	line("listen_addresses", listen)
	line("port", strconv.Itoa(int(s.Port)))
	sock, err := Quote(s.SocketDir)
	if err != nil {
		return "", errors.Errorf(errParamNUL, "unix_socket_directories")
	}
	line("unix_socket_directories", sock)
	if s.TLSDir != "" {
		cert, err := Quote(filepath.Join(s.TLSDir, certFile))
		if err != nil {
			return "", errors.Errorf(errParamNUL, "ssl_cert_file")
		}
		key, _ := Quote(filepath.Join(s.TLSDir, keyFile)) // The same directory: no NUL either.
		line("ssl", "on")
		line("ssl_cert_file", cert)
		line("ssl_key_file", key)
		line("ssl_min_protocol_version", "'TLSv1.2'")
	}
	if s.Replication != nil {
		if err := s.Replication.render(line, s.Parameters); err != nil {
			return "", err
		}
	}
	if s.Archiving != nil {
		if err := s.Archiving.render(line); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// Quote returns v as a PostgreSQL configuration file string literal. The
// configuration lexer ends a string at a quote or newline and interprets
// backslash escapes, so quotes are doubled and backslashes and line breaks
// escaped. A NUL byte cannot be represented.
func Quote(v string) (string, error) {
	if strings.ContainsRune(v, 0) {
		return "", errors.New("NUL byte in value")
	}
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range v {
		switch r {
		case '\'':
			b.WriteString("''")
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String(), nil
}

// parse returns the name = value lines of a file Render wrote.
func parse(conf string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(conf, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if n, v, ok := strings.Cut(l, " = "); ok {
			out[n] = v
		}
	}
	return out
}

// changed returns the names whose value differs between two rendered files.
func changed(old, cur string) []string {
	o, c := parse(old), parse(cur)
	var out []string
	for n, v := range c {
		if ov, ok := o[n]; !ok || ov != v {
			out = append(out, n)
		}
	}
	for n := range o {
		if _, ok := c[n]; !ok {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
