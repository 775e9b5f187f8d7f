package nodeexporter

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/internal/engine/watchdog/install"
)

func TestExporter(t *testing.T) {
	collectors := []string{
		"--collector.disable-defaults", "--collector.filesystem", "--collector.cpu", "--collector.meminfo", "--collector.loadavg",
	}
	cases := map[string]struct {
		reason       string
		x            Exporter
		wantEndpoint string
		wantArgs     []string
		wantSteps    []string
	}{
		"Local": {
			reason: "On the local backend node_exporter runs detached on the member's address, with the member's own web config and only the collectors the alerts and dashboard read.",
			x: Exporter{
				Namespace: "team-a", Instance: "pg", Member: "vm-0", Dir: "/m/postgresql/pg",
				Host: "127.0.0.1", ListenPort: 20002, OSUser: "postgres",
			},
			wantEndpoint: "http://127.0.0.1:20002/metrics",
			wantArgs: append([]string{
				Binary, "--web.listen-address=127.0.0.1:20002", "--web.config.file=/m/postgresql/pg/node-exporter/web.yml",
			}, collectors...),
			wantSteps: []string{StepDir, StepConfig, StepStart},
		},
		"VM": {
			reason: "On a VM a systemd unit of the member runs it; an IPv6 address is bracketed in the URL and the listen address.",
			x: Exporter{
				Namespace: "ns", Instance: "db", Member: "vm-1", Dir: "/var/lib/postgresql/ns-db",
				Host: "fd00::5", ListenPort: 9100, OSUser: "postgres", Unit: UnitName("ns-db"),
			},
			wantEndpoint: "http://[fd00::5]:9100/metrics",
			wantArgs: append([]string{
				Binary, "--web.listen-address=[fd00::5]:9100", "--web.config.file=/var/lib/postgresql/ns-db/node-exporter/web.yml",
			}, collectors...),
			wantSteps: []string{StepDir, StepConfig, StepUnit, "service dbaas-node-exporter-ns-db.service"},
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
			if d.Mark != tc.wantArgs[2] {
				t.Errorf("%s\nMark: want the member's web config %q, got %q", tc.reason, tc.wantArgs[2], d.Mark)
			}
			if len(d.Env) != 0 {
				t.Errorf("%s\nEnv: want none, got %q", tc.reason, d.Env)
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
		Namespace: "ns", Instance: "db", Member: "vm-1", Dir: "/d",
		Host: "10.0.0.5", ListenPort: 9100, OSUser: "postgres", Unit: UnitName("ns-db"),
	}
	want := `# Written by the dbaas provider; local edits are overwritten.
[Unit]
Description=dbaas node exporter (ns/db on vm-1)
StartLimitIntervalSec=0

[Service]
Type=simple
User=postgres
Group=postgres
ExecStart=/usr/bin/prometheus-node-exporter --web.listen-address=10.0.0.5:9100 --web.config.file=/d/node-exporter/web.yml --collector.disable-defaults --collector.filesystem --collector.cpu --collector.meminfo --collector.loadavg
Restart=always
RestartSec=1s

[Install]
WantedBy=multi-user.target
`
	if diff := cmp.Diff(want, install.RenderDaemonUnit(x.Daemon())); diff != "" {
		t.Errorf("RenderDaemonUnit: -want +got:\n%s", diff)
	}
}
