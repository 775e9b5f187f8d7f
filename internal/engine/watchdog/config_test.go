package watchdog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

func validConfig() Config {
	return Config{
		Host: "/run/pg", Port: 5432, User: "admin", PasswordFile: "/etc/w/pw",
		DataDir: "/var/lib/pg/data", PGCtl: "/usr/lib/postgresql/15/bin/pg_ctl", OSUser: "postgres",
		HeartbeatFile: "/var/lib/pg/heartbeat", FenceFile: "/var/lib/pg/dbaas.fenced",
		Interval: time.Second, FenceAfter: 10 * time.Second,
	}
}

func TestValidate(t *testing.T) {
	cases := map[string]struct {
		reason string
		change func(*Config)
		want   string
	}{
		"Valid":            {reason: "A complete configuration is valid.", change: func(*Config) {}},
		"NoHost":           {reason: "The watchdog must know where its server listens.", change: func(c *Config) { c.Host = "" }, want: "no host"},
		"NoFenceFile":      {reason: "Without the marker the provider would not know the member fenced itself.", change: func(c *Config) { c.FenceFile = "" }, want: "no fenceFile"},
		"NoPort":           {reason: "A port is needed even for a unix socket, whose name holds it.", change: func(c *Config) { c.Port = 0 }, want: "port"},
		"RelativeDataDir":  {reason: "The watchdog runs from /: a relative path would mean something else.", change: func(c *Config) { c.DataDir = "data" }, want: "dataDir must be an absolute path"},
		"RelativePassword": {reason: "So does the password file.", change: func(c *Config) { c.PasswordFile = "pw" }, want: "passwordFile must be an absolute path"},
		"NoFenceAfter":     {reason: "A fenceAfter of zero would fence every primary on its first look alone.", change: func(c *Config) { c.FenceAfter = 0 }, want: "fenceAfter of at least one interval"},
		"FenceAfterBelowInterval": {
			reason: "A fenceAfter shorter than a look's interval cannot be kept.",
			change: func(c *Config) { c.FenceAfter = c.Interval / 2 }, want: "fenceAfter of at least one interval",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := validConfig()
			tc.change(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s\nValidate: want no error, got %v", tc.reason, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("%s\nValidate: want an error with %q, got %v", tc.reason, tc.want, err)
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	want := validConfig()
	want.Interval, want.FenceAfter = 0, 0
	b, err := want.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := map[string]struct {
		reason  string
		path    string
		want    Config
		wantErr string
	}{
		"RoundTrip":     {reason: "What Marshal writes, LoadConfig reads.", path: write("ok.json", string(b), 0o600), want: want},
		"OpenToOthers":  {reason: "A file others may read is refused.", path: write("open.json", string(b), 0o644), wantErr: "mode 0600"},
		"UnknownField":  {reason: "A misspelt field is an error, not a default.", path: write("typo.json", `{"hots": "x"}`, 0o600), wantErr: "unknown field"},
		"Missing":       {reason: "A missing file is an error.", path: filepath.Join(dir, "none.json"), wantErr: "no such file"},
		"NotJSON":       {reason: "A file that is not JSON is an error.", path: write("bad.json", "host=x", 0o600), wantErr: "cannot parse"},
		"OwnerReadOnly": {reason: "Mode 0400 is fine too.", path: write("ro.json", string(b), 0o400), want: want},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := LoadConfig(tc.path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("%s\nLoadConfig: want an error with %q, got %v", tc.reason, tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nLoadConfig: %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Log" }, cmp.Ignore())); diff != "" {
				t.Errorf("%s\nLoadConfig: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPassword(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("s3cr3t 'pw\\\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := validConfig()
	c.PasswordFile = pw
	if got, err := c.password(); err != nil || got != "s3cr3t 'pw\\" {
		t.Errorf("password: want the file's first line without its newline, got %q, %v", got, err)
	}
	if err := os.Chmod(pw, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := c.password(); err == nil || !strings.Contains(err.Error(), "mode 0600") {
		t.Errorf("password: want a file others may read refused, got %v", err)
	}
	c.PasswordFile = ""
	if got, err := c.password(); err != nil || got != "" {
		t.Errorf("password: want none without a file, got %q, %v", got, err)
	}
}

func TestConnString(t *testing.T) {
	c := validConfig().withDefaults()
	c.User = `o'brien\x`
	c.SSLMode, c.SSLRootCert = "verify-full", "/etc/w/ca.crt"
	want := `host='/run/pg' port=5432 user='o\'brien\\x' dbname='postgres' connect_timeout=5 application_name=dbaas-watchdog sslmode='verify-full' sslrootcert='/etc/w/ca.crt'`
	if diff := cmp.Diff(want, c.connString()); diff != "" {
		t.Errorf("connString: -want +got:\n%s", diff)
	}
	if strings.Contains(c.connString(), "password") {
		t.Errorf("connString: want no password in it")
	}
	// pgx, which the watchdog connects with, reads the quoted values back.
	cfg, err := pgx.ParseConfig(c.connString())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.User != c.User || cfg.Host != c.Host || cfg.Port != 5432 || cfg.Database != "postgres" {
		t.Errorf("pgx.ParseConfig: want user %q host %q, got user %q host %q port %d database %q", c.User, c.Host, cfg.User, cfg.Host, cfg.Port, cfg.Database)
	}
}
