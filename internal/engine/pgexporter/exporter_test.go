package pgexporter

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/engine/watchdog/install"
)

func TestExporter(t *testing.T) {
	cases := map[string]struct {
		reason       string
		x            Exporter
		wantEndpoint string
		wantArgs     []string
		wantEnv      []string
		wantSteps    []string
	}{
		"Local": {
			reason: "On the local backend the exporter runs detached, listens on the member's address, labels its series and logs in over the socket as the monitor role without a password.",
			x: Exporter{
				Namespace: "team-a", Instance: "pg", Member: "vm-0", Role: "primary",
				Dir: "/m/postgresql/pg", SocketDir: "/m/postgresql/pg/run", Port: 20000,
				Host: "127.0.0.1", ListenPort: 20001, OSUser: "postgres",
			},
			wantEndpoint: "http://127.0.0.1:20001/metrics",
			wantArgs: []string{
				Binary, "--web.listen-address=127.0.0.1:20001", "--extend.query-path=/m/postgresql/pg/exporter/queries.yaml",
				"--constantLabels=namespace=team-a,database_instance=pg,member=vm-0,role=primary",
			},
			wantEnv:   []string{"DATA_SOURCE_NAME=host='/m/postgresql/pg/run' port=20000 user=dbaas_monitor dbname=postgres sslmode=disable"},
			wantSteps: []string{StepDir, StepQueries, StepStart},
		},
		"VM": {
			reason: "On a VM a systemd unit runs it; an IPv6 address is bracketed in the URL and the listen address.",
			x: Exporter{
				Namespace: "ns", Instance: "db", Member: "vm-1", Role: "replica",
				Dir: "/var/lib/postgresql/ns-db", SocketDir: "/var/run/post'gres", Port: 5432,
				Host: "fd00::5", ListenPort: 9187, OSUser: "postgres", Unit: UnitName("ns-db"),
			},
			wantEndpoint: "http://[fd00::5]:9187/metrics",
			wantArgs: []string{
				Binary, "--web.listen-address=[fd00::5]:9187", "--extend.query-path=/var/lib/postgresql/ns-db/exporter/queries.yaml",
				"--constantLabels=namespace=ns,database_instance=db,member=vm-1,role=replica",
			},
			wantEnv:   []string{`DATA_SOURCE_NAME=host='/var/run/post\'gres' port=5432 user=dbaas_monitor dbname=postgres sslmode=disable`},
			wantSteps: []string{StepDir, StepQueries, StepUnit, "service dbaas-exporter-ns-db.service"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.x.Endpoint(); got != tc.wantEndpoint {
				t.Errorf("%s\nEndpoint: want %q, got %q", tc.reason, tc.wantEndpoint, got)
			}
			d := tc.x.Daemon()
			if diff := cmp.Diff(tc.wantArgs, d.Args); diff != "" {
				t.Errorf("%s\nArgs: -want +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantEnv, d.Env); diff != "" {
				t.Errorf("%s\nEnv: -want +got:\n%s", tc.reason, diff)
			}
			if d.Mark != tc.wantArgs[2] {
				t.Errorf("%s\nMark: want the member's queries file %q, got %q", tc.reason, tc.wantArgs[2], d.Mark)
			}
			var names []string
			for _, s := range tc.x.Steps() {
				names = append(names, s.Name)
			}
			if diff := cmp.Diff(tc.wantSteps, names); diff != "" {
				t.Errorf("%s\nSteps: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestUnit(t *testing.T) {
	x := Exporter{
		Namespace: "ns", Instance: "db", Member: "vm-1", Role: "primary", Dir: "/d", SocketDir: "/s", Port: 5432,
		Host: "10.0.0.5", ListenPort: 9187, OSUser: "postgres", Unit: UnitName("ns-db"),
	}
	want := `# Written by the dbaas provider; local edits are overwritten.
[Unit]
Description=dbaas PostgreSQL metrics exporter (ns/db on vm-1)
StartLimitIntervalSec=0

[Service]
Type=simple
User=postgres
Group=postgres
Environment="DATA_SOURCE_NAME=host='/s' port=5432 user=dbaas_monitor dbname=postgres sslmode=disable"
ExecStart=/usr/bin/prometheus-postgres-exporter --web.listen-address=10.0.0.5:9187 --extend.query-path=/d/exporter/queries.yaml --constantLabels=namespace=ns,database_instance=db,member=vm-1,role=primary
Restart=always
RestartSec=1s

[Install]
WantedBy=multi-user.target
`
	if diff := cmp.Diff(want, install.RenderDaemonUnit(x.Daemon())); diff != "" {
		t.Errorf("RenderDaemonUnit: -want +got:\n%s", diff)
	}
}
