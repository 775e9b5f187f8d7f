package watchdog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const (
	errReadConfig    = "cannot read the watchdog's configuration"
	errParseConfig   = "cannot parse the watchdog's configuration"
	errOpenToOthers  = "%s must be readable by its owner only (mode 0600): it is %#o"
	errMissing       = "the watchdog's configuration has no %s"
	errNotAbsolute   = "the watchdog's %s must be an absolute path, not %q"
	errTiming        = "the watchdog needs an interval above zero and a fenceAfter of at least one interval, not %s and %s"
	errReadPassword  = "cannot read the watchdog's password file"
	errMarshalConfig = "cannot encode the watchdog's configuration"

	// ConfigMode is the mode of the configuration file and the password
	// file: the watchdog refuses either when others may read it.
	ConfigMode = 0o600

	// DefaultInterval is how often the watchdog looks.
	DefaultInterval = time.Second

	defaultDatabase = "postgres"
)

// Config is what the watchdog of one member needs. The play writes the
// file part as JSON of mode 0600; the timing comes from flags. It holds no
// password: that is in PasswordFile, of mode 0600 too, so that it is never
// on a command line or in a log.
type Config struct {
	// Host is the server's unix socket directory (an absolute path) or a
	// local address such as 127.0.0.1: the watchdog looks at its own
	// member only, never over the network.
	Host string `json:"host"`
	// Port is the server's port.
	Port int `json:"port"`
	// User is a superuser: ending other sessions (a superuser's among
	// them) and ALTER SYSTEM need one, and so does reading the state of
	// pg_stat_replication; a superuser also gets in when the server's
	// connections are used up (superuser_reserved_connections). The
	// provider's watchdog logs in as its member's admin role over the
	// unix socket, by peer as the engine's OS user it runs as, which
	// pg_ident.conf maps to that role: no password, and nothing over TCP.
	User string `json:"user"`
	// Database to connect to; empty means postgres.
	Database string `json:"database,omitempty"`
	// PasswordFile holds User's password (a trailing newline is ignored);
	// empty for a connection that needs none, such as peer over the socket.
	PasswordFile string `json:"passwordFile,omitempty"`
	// SSLMode is libpq's sslmode, for example disable or verify-full;
	// empty means libpq's default.
	SSLMode string `json:"sslMode,omitempty"`
	// SSLRootCert is the CA to verify the server with.
	SSLRootCert string `json:"sslRootCert,omitempty"`

	// DataDir is the server's data directory, for pg_ctl stop and
	// standby.signal.
	DataDir string `json:"dataDir"`
	// PGCtl is the path of pg_ctl of the server's version.
	PGCtl string `json:"pgCtl"`
	// OSUser runs pg_ctl when the watchdog runs as root; PostgreSQL's
	// programs refuse to run as root.
	OSUser string `json:"osUser,omitempty"`

	// HeartbeatFile is the file the provider renews on each look at the
	// member. Its modification time is the heartbeat, stamped by the
	// member's own clock when the provider writes it, so that the
	// provider's clock, which may be off, stretches or shortens nothing.
	// Its content is not read (the provider writes its own time there,
	// for people).
	HeartbeatFile string `json:"heartbeatFile"`
	// FenceFile is the engine's fence marker (see postgresql.Instance's
	// Fenced): while it exists the provider starts the member only as a
	// replica that rejoined the new primary.
	FenceFile string `json:"fenceFile"`
	// Epoch is the fencing epoch the member serves under, recorded in
	// the fence marker it writes, so that the provider can tell a fence
	// of the member's own (at the epoch it was primary under) from one of
	// a promotion (a later epoch).
	Epoch int64 `json:"epoch,omitempty"`

	// Interval is how often the watchdog looks; zero means
	// DefaultInterval.
	Interval time.Duration `json:"-"`
	// FenceAfter is how long an isolated primary keeps running.
	FenceAfter time.Duration `json:"-"`
	// Log receives one line per decision; nil means standard output.
	Log io.Writer `json:"-"`
}

// LoadConfig reads the file part of the configuration, refusing a file
// others may read.
func LoadConfig(path string) (Config, error) {
	b, err := readPrivate(path)
	if err != nil {
		return Config{}, fmt.Errorf(errReadConfig+": %w", err)
	}
	var c Config
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		return Config{}, fmt.Errorf(errParseConfig+": %w", err)
	}
	return c, nil
}

// Marshal returns the file part of the configuration, for the play to
// write with mode ConfigMode.
func (c Config) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf(errMarshalConfig+": %w", err)
	}
	return append(b, '\n'), nil
}

// withDefaults fills in what may be left out.
func (c Config) withDefaults() Config {
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Database == "" {
		c.Database = defaultDatabase
	}
	if c.Log == nil {
		c.Log = os.Stdout
	}
	return c
}

// Validate says what the configuration lacks.
func (c Config) Validate() error {
	for _, f := range []struct{ name, v string }{
		{"host", c.Host}, {"user", c.User}, {"dataDir", c.DataDir}, {"pgCtl", c.PGCtl},
		{"heartbeatFile", c.HeartbeatFile}, {"fenceFile", c.FenceFile},
	} {
		if f.v == "" {
			return fmt.Errorf(errMissing, f.name)
		}
	}
	if c.Port <= 0 || c.Port > 65535 {
		return fmt.Errorf(errMissing, "port between 1 and 65535")
	}
	for _, f := range []struct{ name, v string }{
		{"dataDir", c.DataDir}, {"pgCtl", c.PGCtl}, {"heartbeatFile", c.HeartbeatFile}, {"fenceFile", c.FenceFile},
		{"passwordFile", c.PasswordFile}, {"sslRootCert", c.SSLRootCert},
	} {
		if f.v != "" && !filepath.IsAbs(f.v) {
			return fmt.Errorf(errNotAbsolute, f.name, f.v)
		}
	}
	if c.Interval <= 0 || c.FenceAfter < c.Interval {
		return fmt.Errorf(errTiming, c.Interval, c.FenceAfter)
	}
	return nil
}

// password reads the password file, refusing one others may read.
func (c Config) password() (string, error) {
	if c.PasswordFile == "" {
		return "", nil
	}
	b, err := readPrivate(c.PasswordFile)
	if err != nil {
		return "", fmt.Errorf(errReadPassword+": %w", err)
	}
	return strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r"), nil
}

// connString is the libpq keyword/value string for the server, without
// the password, which is set on the parsed configuration instead.
func (c Config) connString() string {
	kv := []string{
		"host=" + connValue(c.Host), "port=" + strconv.Itoa(c.Port),
		"user=" + connValue(c.User), "dbname=" + connValue(c.Database),
		"connect_timeout=" + strconv.Itoa(int(connectTimeout/time.Second)),
		"application_name=dbaas-watchdog",
	}
	if c.SSLMode != "" {
		kv = append(kv, "sslmode="+connValue(c.SSLMode))
	}
	if c.SSLRootCert != "" {
		kv = append(kv, "sslrootcert="+connValue(c.SSLRootCert))
	}
	return strings.Join(kv, " ")
}

// connValue quotes a value of a libpq keyword/value string.
func connValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// readPrivate reads a file that must be readable by its owner only.
func readPrivate(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf(errOpenToOthers, path, st.Mode().Perm())
	}
	return io.ReadAll(f)
}
