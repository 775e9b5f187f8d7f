package postgresql

import (
	"strings"
	"testing"
	"time"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/engine/pgparams"
)

func ptr(i int32) *int32 { return &i }

func TestQuote(t *testing.T) {
	type want struct {
		out string
		err error
	}
	cases := map[string]struct {
		reason string
		in     string
		want   want
	}{
		"Plain":     {reason: "Plain values are just quoted.", in: "4MB", want: want{out: "'4MB'"}},
		"Quote":     {reason: "Quotes are doubled.", in: "it's", want: want{out: "'it''s'"}},
		"Backslash": {reason: "Backslashes are escaped, as the lexer interprets them.", in: `a\b`, want: want{out: `'a\\b'`}},
		"Newline":   {reason: "Line breaks cannot end the value and inject a setting.", in: "x'\nport = 1", want: want{out: `'x''\nport = 1'`}},
		"Return":    {reason: "Carriage returns are escaped.", in: "a\rb", want: want{out: `'a\rb'`}},
		"NUL":       {reason: "NUL cannot be represented.", in: "a\x00b", want: want{err: errors.New("NUL byte in value")}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Quote(tc.in)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nQuote(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.out, got); diff != "" {
				t.Errorf("%s\nQuote(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRender(t *testing.T) {
	type want struct {
		out string
		err error
	}
	cases := map[string]struct {
		reason string
		s      Settings
		want   want
	}{
		"Minimal": {
			reason: "The provider's own settings are always written.",
			s:      Settings{Port: 20000, SocketDir: "/m/run"},
			want: want{out: "# Managed by the dbaas provider. Changes are overwritten.\n" +
				"listen_addresses = '127.0.0.1'\nport = 20000\nunix_socket_directories = '/m/run'\n"},
		},
		"Full": {
			reason: "Parameters come sorted and first, typed settings after them.",
			s: Settings{Version: "15", Port: 20001, SocketDir: "/m/run", MaxConnections: ptr(50), SharedBuffersMB: ptr(64),
				Parameters: map[string]string{"work_mem": "8MB", "application_name": "o'k"}},
			want: want{out: "# Managed by the dbaas provider. Changes are overwritten.\n" +
				"application_name = 'o''k'\nwork_mem = '8MB'\n" +
				"max_connections = 50\nshared_buffers = '64MB'\n" +
				"listen_addresses = '127.0.0.1'\nport = 20001\nunix_socket_directories = '/m/run'\n"},
		},
		"ListenEverywhere": {
			reason: "A member on a VM binds every address, since the one the provider reaches it at may be a cloud's public IP on no interface.",
			s:      Settings{Host: "203.0.113.7", Listen: "*", Port: 5432, SocketDir: "/m/run"},
			want: want{out: "# Managed by the dbaas provider. Changes are overwritten.\n" +
				"listen_addresses = '*'\nport = 5432\nunix_socket_directories = '/m/run'\n"},
		},
		"TLS": {
			reason: "A server that serves TLS has ssl on, with the provider's certificate files and nothing older than TLS 1.2.",
			s:      Settings{Port: 20000, SocketDir: "/m/run", TLSDir: "/m/tls"},
			want: want{out: "# Managed by the dbaas provider. Changes are overwritten.\n" +
				"listen_addresses = '127.0.0.1'\nport = 20000\nunix_socket_directories = '/m/run'\n" +
				"ssl = on\nssl_cert_file = '/m/tls/server.crt'\nssl_key_file = '/m/tls/server.key'\nssl_min_protocol_version = 'TLSv1.2'\n"},
		},
		"Archiving": {
			reason: "The provider's archiving is written after everything else, not checked against the tenants' allow-list, with the command quoted and the timeout in seconds.",
			s:      Settings{Version: "15", Port: 20000, SocketDir: "/m/run", Archiving: &Archiving{Command: "pgbackrest --stanza=s archive-push %p", Timeout: 90 * time.Second}},
			want: want{out: "# Managed by the dbaas provider. Changes are overwritten.\n" +
				"listen_addresses = '127.0.0.1'\nport = 20000\nunix_socket_directories = '/m/run'\n" +
				"archive_mode = on\narchive_command = 'pgbackrest --stanza=s archive-push %p'\narchive_timeout = '90s'\n"},
		},
		"ArchivingWithoutCommand": {
			reason: "Archiving on with no command would fail every segment, filling the disk with WAL.",
			s:      Settings{Version: "15", Port: 1, Archiving: &Archiving{}},
			want:   want{err: errors.New(errArchiveCommand)},
		},
		"SSLRefused": {
			reason: "A parameter cannot turn TLS off or point it at other files.",
			s:      Settings{Version: "15", Port: 1, TLSDir: "/m/tls", Parameters: map[string]string{"ssl": "off"}},
			want:   want{err: pgparams.Check("15", map[string]string{"ssl": ""})},
		},
		"PassphraseCommandRefused": {
			reason: "A parameter cannot run a command as the engine user through TLS settings.",
			s:      Settings{Version: "15", Port: 1, Parameters: map[string]string{"ssl_passphrase_command": "sh -c id"}},
			want:   want{err: pgparams.Check("15", map[string]string{"ssl_passphrase_command": ""})},
		},
		"OwnedRefused": {
			reason: "A parameter cannot override what the provider owns.",
			s:      Settings{Version: "15", Port: 1, Parameters: map[string]string{"port": "5432"}},
			want:   want{err: pgparams.Check("15", map[string]string{"port": ""})},
		},
		"IncludeRefused": {
			reason: "A parameter cannot be an include directive.",
			s:      Settings{Version: "15", Port: 1, Parameters: map[string]string{"include": "/etc/passwd"}},
			want:   want{err: pgparams.Check("15", map[string]string{"include": ""})},
		},
		"CommandRefused": {
			reason: "A parameter that runs a command as the engine's user is not in the allow-list.",
			s:      Settings{Version: "15", Port: 1, Parameters: map[string]string{"archive_command": "sh -c id"}},
			want:   want{err: pgparams.Check("15", map[string]string{"archive_command": ""})},
		},
		"BadName": {
			reason: "Names that are not PostgreSQL setting names are refused.",
			s:      Settings{Version: "15", Port: 1, Parameters: map[string]string{"a = 1\nb": "x"}},
			want:   want{err: pgparams.Check("15", map[string]string{"a = 1\nb": ""})},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Render(tc.s)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("%s\nRender(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.out, got); diff != "" {
				t.Errorf("%s\nRender(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestChanged(t *testing.T) {
	old, _ := Render(Settings{Version: "15", Port: 1, SocketDir: "/s", MaxConnections: ptr(10), Parameters: map[string]string{"work_mem": "1MB"}})
	cur, _ := Render(Settings{Port: 1, SocketDir: "/s", MaxConnections: ptr(20), SharedBuffersMB: ptr(8)})
	want := []string{"max_connections", "shared_buffers", "work_mem"}
	if diff := cmp.Diff(want, changed(old, cur)); diff != "" {
		t.Errorf("changed(...): -want, +got:\n%s", diff)
	}
}

func TestSocketDir(t *testing.T) {
	// The work directory that makes the longest socket path PostgreSQL
	// takes, 107 bytes.
	fits := "/" + strings.Repeat("d", maxSocketPath-1-len("/postgresql/db/run/.s.PGSQL.21000"))
	deep := "/tmp/" + strings.Repeat("d", 100)
	cases := map[string]struct {
		reason  string
		workDir string
		port    int32
		want    string
	}{
		"Short": {
			reason:  "a socket path that fits stays beside the data",
			workDir: "/m/a", port: 21000,
			want: "/m/a/postgresql/db/run",
		},
		"JustFits": {
			reason:  "a socket path of exactly 107 bytes stays beside the data",
			workDir: fits, port: 21000,
			want: fits + "/postgresql/db/run",
		},
		"OneByteOver": {
			reason:  "a byte over PostgreSQL's limit moves the socket directory to a short link named after the instance's directory",
			workDir: fits + "d", port: 21000,
			want: socketAlias(fits + "d/postgresql/db"),
		},
		"ShorterPortFits": {
			reason:  "the port's digits count: the same directory with a shorter port fits",
			workDir: fits + "d", port: 2100,
			want: fits + "d/postgresql/db/run",
		},
		"Deep": {
			reason:  "a deep directory gets the short link",
			workDir: deep, port: 21000,
			want: socketAlias(deep + "/postgresql/db"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := NewInstance(executor.Local{}, tc.workDir, "db", "15", tc.port, "postgres").SocketDir()
			if got != tc.want {
				t.Errorf("%s: SocketDir() = %q, want %q", tc.reason, got, tc.want)
			}
			if !socketFits(got, tc.port) {
				t.Errorf("%s: SocketDir() = %q: its socket must fit PostgreSQL's limit", tc.reason, got)
			}
		})
	}

	alias := socketAlias(deep + "/postgresql/db")
	if SocketRoot != testenv.SocketRoot {
		t.Errorf("testenv.SocketRoot %q, which removes a test's links, is not SocketRoot %q", testenv.SocketRoot, SocketRoot)
	}
	if !strings.HasPrefix(alias, SocketRoot+"/") || len(alias) != len(SocketRoot)+1+socketAliasLen {
		t.Errorf("socketAlias: want %d hex digits below %s, got %q", socketAliasLen, SocketRoot, alias)
	}
	if socketAlias(deep+"/postgresql/db2") == alias || socketAlias(deep+"x/postgresql/db") == alias {
		t.Errorf("two instances' directories got one socket link %q", alias)
	}
	if socketAlias(deep+"/postgresql/db/") != alias {
		t.Errorf("one directory written two ways got two socket links")
	}
}
