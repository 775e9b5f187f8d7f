package mongodb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errPath        = "%s must be a clean absolute path without NUL bytes: %q"
	errPort        = "port must be between 1 and 65535, not %d"
	errNoBindIP    = "mongod must listen on at least one address"
	errBindIP      = "bind address %q is neither an IP address nor a host name"
	errReplSetName = "replica set name must be non-empty UTF-8 without NUL bytes"

	// DefaultLogPath is where the mongodb-org package expects mongod to log.
	DefaultLogPath = "/var/log/mongodb/mongod.log"
	// DefaultPort is mongod's own default port.
	DefaultPort = 27017
)

// hostName is an RFC 1123 host name; anything else in bindIp would be read
// by mongod as another address list entry or rejected at start.
var hostName = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// Config is what the provider writes into /etc/mongod.conf on each member.
type Config struct {
	// DBPath is mongod's data directory. It belongs on the data disk.
	DBPath string
	// LogPath defaults to DefaultLogPath.
	LogPath string
	// BindIPs are the addresses mongod listens on. Members must reach each
	// other on one of them, so 127.0.0.1 alone is not enough for a set.
	BindIPs []string
	// Port defaults to DefaultPort.
	Port int
	// ReplSetName is the replica set's name; every member uses the same.
	ReplSetName string
	// KeyFile is the path of the shared key members authenticate each other
	// with. Giving one also turns on authorization for clients.
	KeyFile string
}

// withDefaults fills in what may be left out.
func (c Config) withDefaults() Config {
	if c.LogPath == "" {
		c.LogPath = DefaultLogPath
	}
	if c.Port == 0 {
		c.Port = DefaultPort
	}
	return c
}

// validate refuses what mongod would refuse at start, or what would change
// the meaning of the file.
func (c Config) validate() error {
	for _, p := range []struct{ what, path string }{
		{"dbPath", c.DBPath}, {"log path", c.LogPath}, {"keyFile", c.KeyFile},
	} {
		if err := checkPath(p.what, p.path); err != nil {
			return err
		}
	}
	if c.Port < 1 || c.Port > 65535 {
		return errors.Errorf(errPort, c.Port)
	}
	if len(c.BindIPs) == 0 {
		return errors.New(errNoBindIP)
	}
	for _, ip := range c.BindIPs {
		// bindIp is one comma-separated string, so an entry must not be able
		// to smuggle in another one.
		if net.ParseIP(ip) == nil && !hostName.MatchString(ip) {
			return errors.Errorf(errBindIP, ip)
		}
	}
	if c.ReplSetName == "" || !utf8.ValidString(c.ReplSetName) || strings.ContainsRune(c.ReplSetName, 0) {
		return errors.New(errReplSetName)
	}
	return nil
}

// checkPath accepts only clean absolute paths, so that a path names exactly
// one place and can be compared with what is on the VM.
func checkPath(what, p string) error {
	if p == "" || !path.IsAbs(p) || path.Clean(p) != p || strings.ContainsRune(p, 0) || !utf8.ValidString(p) {
		return errors.Errorf(errPath, what, p)
	}
	return nil
}

// Render returns the mongod.conf for c. Every string is a YAML double-quoted
// scalar, so quotes, colons, '#' or line breaks in a value stay inside it.
func Render(c Config) (string, error) {
	c = c.withDefaults()
	if err := c.validate(); err != nil {
		return "", err
	}
	q := yamlQuote
	var b strings.Builder
	b.WriteString("# Managed by the dbaas provider. Changes are overwritten.\n")
	b.WriteString("storage:\n")
	fmt.Fprintf(&b, "  dbPath: %s\n", q(c.DBPath))
	b.WriteString("systemLog:\n")
	b.WriteString("  destination: file\n")
	b.WriteString("  logAppend: true\n")
	fmt.Fprintf(&b, "  path: %s\n", q(c.LogPath))
	b.WriteString("net:\n")
	fmt.Fprintf(&b, "  port: %d\n", c.Port)
	fmt.Fprintf(&b, "  bindIp: %s\n", q(strings.Join(c.BindIPs, ",")))
	b.WriteString("processManagement:\n")
	b.WriteString("  timeZoneInfo: /usr/share/zoneinfo\n")
	b.WriteString("replication:\n")
	fmt.Fprintf(&b, "  replSetName: %s\n", q(c.ReplSetName))
	b.WriteString("security:\n")
	fmt.Fprintf(&b, "  keyFile: %s\n", q(c.KeyFile))
	b.WriteString("  authorization: enabled\n")
	return b.String(), nil
}

// yamlQuote returns s as a YAML double-quoted scalar. A JSON string is one,
// and encoding/json escapes every control character, quote and backslash.
// It would replace invalid UTF-8, which validate refuses beforehand.
func yamlQuote(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // encoding a string cannot fail
	return strings.TrimSuffix(buf.String(), "\n")
}
