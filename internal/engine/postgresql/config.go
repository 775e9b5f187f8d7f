package postgresql

import (
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errParamName  = "invalid parameter name %q"
	errParamOwned = "parameter %q is managed by the provider and cannot be set"
	errParamNUL   = "value of parameter %q holds a NUL byte"
)

var paramName = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,62}$`)

// owned are settings the provider sets itself, or that would let a
// parameter escape the include file (include directives) or move the data.
var owned = map[string]bool{
	"listen_addresses":        true,
	"port":                    true,
	"unix_socket_directories": true,
	"data_directory":          true,
	"config_file":             true,
	"hba_file":                true,
	"ident_file":              true,
	"external_pid_file":       true,
	"include":                 true,
	"include_dir":             true,
	"include_if_exists":       true,
}

// Settings are what the provider writes into the configuration file it owns.
type Settings struct {
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
}

// Render returns the include file for s: one `name = 'value'` line per
// setting. Free-form parameters come first, sorted, so that the typed
// settings and the provider's own settings after them win.
func Render(s Settings) (string, error) {
	names := make([]string, 0, len(s.Parameters))
	for n := range s.Parameters {
		if !paramName.MatchString(n) {
			return "", errors.Errorf(errParamName, n)
		}
		if owned[n] || tlsOwned[n] || (s.Replication != nil && replicationOwned[n]) {
			return "", errors.Errorf(errParamOwned, n)
		}
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
	line("listen_addresses", "'127.0.0.1'")
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
		if err := s.Replication.render(line); err != nil {
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
