package pgvm

import (
	"context"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/clients/executor"
)

func vmOptions() Options {
	return Options{
		DataDisk:          "/dev/disk/by-id/data",
		Port:              5433,
		ListenAddresses:   []string{"10.0.0.4", "localhost"},
		Settings:          map[string]string{"max_connections": "200", "shared_buffers": "1GB", "search_path": `"$user", public`, "application_name": `it's \ a backslash`},
		HBA:               []HBARule{{Type: "hostssl", Database: "all", User: "all", Address: "10.0.0.0/8", Method: "scram-sha-256"}, {Type: "local", Database: "all", User: "all", Method: "peer"}},
		SuperuserPassword: password,
		InstallPackages:   true,
		ServiceMode:       ServiceSystemd,
		// A hostssl rule needs the server to serve TLS.
		TLS: &ServerTLS{Cert: []byte("CERT PEM"), Key: []byte("KEY PEM")},
	}
}

func TestPlanSteps(t *testing.T) {
	cases := map[string]struct {
		o    Options
		want []string
	}{
		"SystemdWithDataDisk": {
			o: vmOptions(),
			want: []string{"install postgresql-15", "mount data disk", "grow data file system", "create data directory", "initialise cluster", "install server certificate",
				"write postgresql.auto settings", "write pg_hba.conf", "write systemd unit", "start postgresql", "health check", "set superuser password"},
		},
		"SystemdWithoutDataDisk": {
			o: func() Options { o := vmOptions(); o.DataDisk = ""; return o }(),
			want: []string{"install postgresql-15", "create data directory", "initialise cluster", "install server certificate",
				"write postgresql.auto settings", "write pg_hba.conf", "write systemd unit", "start postgresql", "health check", "set superuser password"},
		},
		"PgCtlWithoutPackages": {
			o: func() Options {
				o := vmOptions()
				o.DataDisk, o.InstallPackages, o.ServiceMode = "", false, ServicePgCtl
				return o
			}(),
			want: []string{"find postgresql-15 binaries", "create data directory", "initialise cluster", "install server certificate",
				"write postgresql.auto settings", "write pg_hba.conf", "start postgresql", "health check", "set superuser password"},
		},
		"SystemdWithExtensions": {
			o: func() Options {
				o := vmOptions()
				o.DataDisk, o.Extensions = "", []string{"postgis", "vector"}
				return o
			}(),
			want: []string{"install postgresql-15", "install extension packages", "create data directory", "initialise cluster", "install server certificate",
				"write postgresql.auto settings", "write pg_hba.conf", "write systemd unit", "start postgresql", "health check", "set superuser password"},
		},
		"PreinstalledExtensions": {
			o: func() Options {
				o := vmOptions()
				o.DataDisk, o.InstallPackages, o.Extensions = "", false, []string{"pg_trgm"}
				return o
			}(),
			want: []string{"find postgresql-15 binaries", "find extensions", "create data directory", "initialise cluster", "install server certificate",
				"write postgresql.auto settings", "write pg_hba.conf", "write systemd unit", "start postgresql", "health check", "set superuser password"},
		},
		"PgCtlWithDataDisk": {
			o: func() Options { o := vmOptions(); o.InstallPackages, o.ServiceMode = false, ServicePgCtl; return o }(),
			want: []string{"find postgresql-15 binaries", "mount data disk", "grow data file system", "create data directory", "initialise cluster", "install server certificate",
				"write postgresql.auto settings", "write pg_hba.conf", "start postgresql", "health check", "set superuser password"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			plan, err := Plan(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, stepNames(plan)); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
		})
	}
}

func TestRender(t *testing.T) {
	o := vmOptions().withDefaults()
	settings, err := renderSettings(o)
	if err != nil {
		t.Fatal(err)
	}
	wantSettings := header + `listen_addresses = '10.0.0.4,localhost'
port = '5433'
unix_socket_directories = '/var/run/postgresql'
ssl = 'on'
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
ssl_min_protocol_version = 'TLSv1.2'
application_name = 'it''s \\ a backslash'
max_connections = '200'
search_path = '"$user", public'
shared_buffers = '1GB'
`
	if diff := cmp.Diff(wantSettings, settings); diff != "" {
		t.Errorf("settings: -want +got:\n%s", diff)
	}

	hba, err := renderHBA(o)
	if err != nil {
		t.Fatal(err)
	}
	wantHBA := header + `# TYPE  DATABASE  USER  ADDRESS  METHOD
local all postgres peer
hostssl all all 10.0.0.0/8 scram-sha-256
local all all peer
`
	if diff := cmp.Diff(wantHBA, hba); diff != "" {
		t.Errorf("pg_hba.conf: -want +got:\n%s", diff)
	}

	wantUnit := `# Written by the dbaas provider; local edits are overwritten.
[Unit]
Description=PostgreSQL 15 (dbaas)
After=network-online.target
Wants=network-online.target
RequiresMountsFor=/var/lib/postgresql/15/dbaas

[Service]
Type=notify
User=postgres
Group=postgres
ExecStart=/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/dbaas
ExecReload=/bin/kill -HUP $MAINPID
KillMode=mixed
KillSignal=SIGINT
TimeoutStartSec=infinity
TimeoutStopSec=300
Restart=on-failure
RestartSec=5s
OOMScoreAdjust=-900
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`
	if diff := cmp.Diff(wantUnit, renderUnit(o)); diff != "" {
		t.Errorf("unit: -want +got:\n%s", diff)
	}
	if got, want := o.unitPath(), "/etc/systemd/system/dbaas-postgresql-15.service"; got != want {
		t.Errorf("unit path %q, want %q", got, want)
	}

	// A root prefixes every path the play writes, not the binaries.
	o.Root = "/tmp/r"
	if !strings.Contains(renderUnit(o), "ExecStart=/usr/lib/postgresql/15/bin/postgres -D /tmp/r/var/lib/postgresql/15/dbaas\n") {
		t.Errorf("rooted unit:\n%s", renderUnit(o))
	}
}

func TestPlanRefuses(t *testing.T) {
	cases := map[string]struct {
		change func(o *Options)
		want   string
	}{
		"OwnedParameter":    {func(o *Options) { o.Settings["port"] = "1" }, `parameter "port" is not in the allow-list`},
		"CommandParameter":  {func(o *Options) { o.Settings["archive_command"] = "sh -c id" }, `parameter "archive_command" is not in the allow-list`},
		"LibraryParameter":  {func(o *Options) { o.Settings["shared_preload_libraries"] = "evil" }, `parameter "shared_preload_libraries" is not in the allow-list`},
		"UnknownParameter":  {func(o *Options) { o.Settings["work_mme"] = "4MB" }, `parameter "work_mme" is not in the allow-list`},
		"BadParameterName":  {func(o *Options) { o.Settings["a b"] = "1" }, `parameter "a b" is not in the allow-list`},
		"NewlineInValue":    {func(o *Options) { o.Settings["work_mem"] = "1\ninclude '/etc/shadow'" }, "line break"},
		"NoPassword":        {func(o *Options) { o.SuperuserPassword = "" }, "password is empty"},
		"PasswordLine":      {func(o *Options) { o.SuperuserPassword += "\nmore" }, "line break"},
		"HBAType":           {func(o *Options) { o.HBA[0].Type = "hots" }, `invalid type "hots"`},
		"HBAInjection":      {func(o *Options) { o.HBA[0].Method = "trust\nhost all all 0.0.0.0/0 trust" }, "invalid method"},
		"HBANoAddress":      {func(o *Options) { o.HBA[0].Address = "" }, "needs an address"},
		"DataOffTheDisk":    {func(o *Options) { o.DataDir = "/srv/pg" }, "is not below the data disk's mount point"},
		"RelativeDataDir":   {func(o *Options) { o.DataDir = "pg" }, "invalid data directory"},
		"QuoteInPath":       {func(o *Options) { o.DataDir = "/var/lib/postgresql/x'y" }, "invalid data directory"},
		"SocketTooLong":     {func(o *Options) { o.Root = "/" + strings.Repeat("r", 90) }, "longer than the 107 bytes"},
		"Mode":              {func(o *Options) { o.ServiceMode = "init.d" }, "invalid service mode"},
		"Version":           {func(o *Options) { o.Version = "15; rm" }, "invalid PostgreSQL version"},
		"ListenInjection":   {func(o *Options) { o.ListenAddresses = []string{"*' port='1"} }, "invalid listen address"},
		"OSUserInjection":   {func(o *Options) { o.OSUser = "postgres;id" }, "invalid OS user"},
		"PortOutOfRange":    {func(o *Options) { o.Port = 70000 }, "invalid port"},
		"DataDiskRelative":  {func(o *Options) { o.DataDisk = "sdb" }, "invalid data disk"},
		"RootRelative":      {func(o *Options) { o.Root = "tmp" }, "invalid root"},
		"UncleanDataDir":    {func(o *Options) { o.DataDir = "/var/lib/postgresql/../x" }, "invalid data directory"},
		"HBALocalAddress":   {func(o *Options) { o.HBA[1].Address = "10.0.0.0/8" }, "takes no address"},
		"HBAUserWithSpaces": {func(o *Options) { o.HBA[0].User = "a b" }, `invalid user "a b"`},
		"HostSSLWithoutTLS": {func(o *Options) { o.TLS = nil }, "a hostssl rule needs the server's TLS certificate"},
		"TLSWithoutKey":     {func(o *Options) { o.TLS.Key = nil }, "certificate and key must both be given"},
		"SSLOff":            {func(o *Options) { o.Settings["ssl"] = "off" }, `parameter "ssl" is not in the allow-list`},
		"PassphraseCommand": {func(o *Options) { o.Settings["ssl_passphrase_command"] = "sh -c id" }, `parameter "ssl_passphrase_command" is not in the allow-list`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := vmOptions()
			tc.change(&o)
			_, err := Plan(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error saying %q, got %v", tc.want, err)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error holds the password: %v", err)
			}
		})
	}
}

// fake answers every command with exit 0 and no output (but for what the
// play waits on: a changing load time, and 1 for SELECT 1), and has no files:
// enough for every step's Check and Apply to get as far as it can, so that
// every command the play can send is seen.
type fake struct {
	cmds   []string
	writes map[string]fs.FileMode
}

func (f *fake) Run(_ context.Context, cmd string, _ io.Reader) (executor.Result, error) {
	f.cmds = append(f.cmds, cmd)
	switch {
	case strings.Contains(cmd, "'SELECT 1'"):
		return executor.Result{Stdout: "1\n"}, nil
	case strings.Contains(cmd, "pg_conf_load_time"):
		// A new load time each time: the reload is seen at once.
		return executor.Result{Stdout: strconv.Itoa(len(f.cmds)) + "\n"}, nil
	}
	return executor.Result{}, nil
}

func (f *fake) WriteFile(_ context.Context, p string, _ []byte, mode fs.FileMode) error {
	f.writes[p] = mode
	return nil
}

func (f *fake) ReadFile(_ context.Context, p string) ([]byte, error) {
	return nil, &fs.PathError{Op: "read", Path: p, Err: fs.ErrNotExist}
}

func (f *fake) Close() error { return nil }

// TestPasswordIsOnNoCommand runs every step's Check and Apply of both
// modes against a machine that says yes to everything, and looks for the
// password in every command, step name and error.
func TestPasswordIsOnNoCommand(t *testing.T) {
	for _, mode := range []ServiceMode{ServiceSystemd, ServicePgCtl} {
		t.Run(string(mode), func(t *testing.T) {
			o := vmOptions()
			o.ServiceMode = mode
			o.Settings = nil // No describe-config output to check names against.
			plan, err := Plan(o)
			if err != nil {
				t.Fatal(err)
			}
			f := &fake{writes: map[string]fs.FileMode{}}
			var said []string
			for _, s := range plan {
				said = append(said, s.Name)
				if _, err := s.Check(context.Background(), f); err != nil {
					said = append(said, err.Error())
				}
				if err := s.Apply(context.Background(), f); err != nil {
					said = append(said, err.Error())
				}
			}
			const pw = "/var/lib/postgresql/15/.dbaas-pwfile-dbaas"
			initdb, removed := -1, -1
			for i, c := range f.cmds {
				if strings.Contains(c, "/bin/initdb '--pgdata=") {
					initdb = i
					if !strings.Contains(c, "--pwfile="+pw) {
						t.Errorf("initdb does not read the password file: %s", c)
					}
				}
				if c == "rm -f -- "+pw && initdb >= 0 && removed < 0 {
					removed = i
				}
			}
			if initdb < 0 || removed < initdb {
				t.Errorf("initdb ran at command %d and the password file was removed at %d; want both, in that order", initdb, removed)
			}
			if m, ok := f.writes["/var/lib/postgresql/15/.dbaas-pwfile-dbaas"]; !ok || m != 0o600 {
				t.Errorf("password file written with mode %v (written: %v), want 0600", m, ok)
			}
			for _, c := range append(f.cmds, said...) {
				if strings.Contains(c, "s3cr3t") {
					t.Errorf("holds the password: %q", c)
				}
			}
		})
	}
}
