package databaseinstance

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

func TestExporterPort(t *testing.T) {
	on := true
	cases := map[string]struct {
		reason     string
		p          v1alpha1.DatabaseInstanceParameters
		local      bool
		serverPort int32
		want       int32
	}{
		"LocalNextPort": {
			reason: "A local machine's exporter takes the port after the server's, in the machine's own range, whatever the spec says.",
			p:      v1alpha1.DatabaseInstanceParameters{Metrics: &v1alpha1.MetricsParameters{Enabled: &on, Port: 9300}},
			local:  true, serverPort: 20010, want: 20011,
		},
		"VMSpecPort": {
			reason:     "A VM's exporter listens on the spec's port.",
			p:          v1alpha1.DatabaseInstanceParameters{Metrics: &v1alpha1.MetricsParameters{Port: 9300}},
			serverPort: 5432, want: 9300,
		},
		"VMDefault": {
			reason:     "Without a port (the CRD defaults it), the exporter's registered port.",
			p:          v1alpha1.DatabaseInstanceParameters{Metrics: &v1alpha1.MetricsParameters{}},
			serverPort: 5432, want: 9187,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := exporterPort(tc.p, tc.local, tc.serverPort); got != tc.want {
				t.Errorf("%s\nexporterPort: want %d, got %d", tc.reason, tc.want, got)
			}
		})
	}
}

func TestNodeExporterPort(t *testing.T) {
	cases := map[string]struct {
		reason     string
		p          v1alpha1.DatabaseInstanceParameters
		local      bool
		serverPort int32
		want       int32
	}{
		"LocalThirdPort": {
			reason: "A local machine's node_exporter takes the port after the exporter's, whatever the spec says.",
			p:      v1alpha1.DatabaseInstanceParameters{Metrics: &v1alpha1.MetricsParameters{Node: &v1alpha1.NodeMetricsParameters{Port: 9300}}},
			local:  true, serverPort: 20010, want: 20012,
		},
		"VMSpecPort": {
			reason:     "A VM's node_exporter listens on the spec's port.",
			p:          v1alpha1.DatabaseInstanceParameters{Metrics: &v1alpha1.MetricsParameters{Port: 9187, Node: &v1alpha1.NodeMetricsParameters{Port: 9300}}},
			serverPort: 5432, want: 9300,
		},
		"VMDefault": {
			reason:     "Without a node block (the CRD defaults it), node_exporter's registered port, not metrics.port.",
			p:          v1alpha1.DatabaseInstanceParameters{Metrics: &v1alpha1.MetricsParameters{Port: 9400}},
			serverPort: 5432, want: 9100,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := nodeExporterPort(tc.p, tc.local, tc.serverPort); got != tc.want {
				t.Errorf("%s\nnodeExporterPort: want %d, got %d", tc.reason, tc.want, got)
			}
		})
	}
}

func TestExporterWanted(t *testing.T) {
	on, off := true, false
	inst := &postgresql.Instance{}
	cases := map[string]struct {
		reason string
		p      v1alpha1.DatabaseInstanceParameters
		s      v1alpha1.Member
		m      member
		want   bool
	}{
		"NoMetrics": {
			reason: "Without spec.forProvider.metrics no exporter runs.",
			s:      v1alpha1.Member{Running: true}, m: member{inst: inst},
		},
		"Disabled": {
			reason: "metrics.enabled false runs none.",
			p:      v1alpha1.DatabaseInstanceParameters{Metrics: &v1alpha1.MetricsParameters{Enabled: &off}},
			s:      v1alpha1.Member{Running: true}, m: member{inst: inst},
		},
		"Running": {
			reason: "A running member gets one; enabled unset means on, as the CRD defaults it.",
			p:      v1alpha1.DatabaseInstanceParameters{Metrics: &v1alpha1.MetricsParameters{}},
			s:      v1alpha1.Member{Running: true}, m: member{inst: inst}, want: true,
		},
		"Explicit": {
			reason: "enabled true runs one.",
			p:      v1alpha1.DatabaseInstanceParameters{Metrics: &v1alpha1.MetricsParameters{Enabled: &on}},
			s:      v1alpha1.Member{Running: true}, m: member{inst: inst}, want: true,
		},
		"NotRunning": {
			reason: "A member whose server does not run yet gets none (one that stops later keeps its own, which reports pg_up 0).",
			p:      v1alpha1.DatabaseInstanceParameters{Metrics: &v1alpha1.MetricsParameters{}},
			m:      member{inst: inst},
		},
		"MachineOff": {
			reason: "Nothing is started on a machine that is off.",
			p:      v1alpha1.DatabaseInstanceParameters{Metrics: &v1alpha1.MetricsParameters{}},
			s:      v1alpha1.Member{Running: true}, m: member{inst: inst, off: "powered off"},
		},
		"MachineGone": {
			reason: "A member without a machine gets none.",
			p:      v1alpha1.DatabaseInstanceParameters{Metrics: &v1alpha1.MetricsParameters{}},
			s:      v1alpha1.Member{Running: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := exporterWanted(exporterKinds[0], tc.p, tc.s, tc.m); got != tc.want {
				t.Errorf("%s\nexporterWanted: want %t, got %t", tc.reason, tc.want, got)
			}
		})
	}
}

func TestExportersShown(t *testing.T) {
	cases := map[string]struct {
		reason string
		ap     v1alpha1.DatabaseInstanceObservation
		want   []bool
	}{
		"None": {reason: "No member named an endpoint: no exporter to stop when the spec turns one off.", want: []bool{false, false}},
		"Replica": {
			reason: "Any member's endpoint counts, for its own kind only.",
			ap:     v1alpha1.DatabaseInstanceObservation{Members: []v1alpha1.Member{{}, {MetricsEndpoint: "http://10.0.0.6:9187/metrics"}}},
			want:   []bool{true, false},
		},
		"Node": {
			reason: "A node_exporter named alone counts for node_exporter.",
			ap:     v1alpha1.DatabaseInstanceObservation{Members: []v1alpha1.Member{{NodeMetricsEndpoint: "http://10.0.0.6:9100/metrics"}, {}}},
			want:   []bool{false, true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, exportersShown(tc.ap)); diff != "" {
				t.Errorf("%s\nexportersShown: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestWantedExporters(t *testing.T) {
	on, off := true, false
	local := member{vm: "vm-0", inst: &postgresql.Instance{Dir: "/m/postgresql/pg", Host: "127.0.0.1", Port: 20000}}
	vm := member{vm: "vm-1", systemd: true, inst: &postgresql.Instance{Dir: "/var/lib/postgresql/ns-pg", Host: "10.0.0.5", Port: 5432}}
	running := v1alpha1.Member{Running: true, Role: v1alpha1.RolePrimary}
	cases := map[string]struct {
		reason  string
		metrics *v1alpha1.MetricsParameters
		s       v1alpha1.Member
		m       member
		want    []string
	}{
		"NoMetrics": {
			reason: "Without spec.forProvider.metrics a member runs no exporter at all.",
			s:      running, m: local,
		},
		"LocalBoth": {
			reason:  "Metrics on (node unset means on, as the CRD defaults it): the PostgreSQL exporter and node_exporter on the two ports after the server's.",
			metrics: &v1alpha1.MetricsParameters{}, s: running, m: local,
			want: []string{"metrics exporter http://127.0.0.1:20001/metrics", "node exporter http://127.0.0.1:20002/metrics"},
		},
		"VMBoth": {
			reason:  "On a VM each listens on its spec port on the member's address.",
			metrics: &v1alpha1.MetricsParameters{Port: 9187, Node: &v1alpha1.NodeMetricsParameters{Enabled: &on, Port: 9100}}, s: running, m: vm,
			want: []string{"metrics exporter http://10.0.0.5:9187/metrics", "node exporter http://10.0.0.5:9100/metrics"},
		},
		"NodeOff": {
			reason:  "metrics.node.enabled false leaves the PostgreSQL exporter alone.",
			metrics: &v1alpha1.MetricsParameters{Node: &v1alpha1.NodeMetricsParameters{Enabled: &off}}, s: running, m: local,
			want: []string{"metrics exporter http://127.0.0.1:20001/metrics"},
		},
		"MetricsOff": {
			reason:  "metrics.enabled false turns node_exporter off too, whatever its own block says.",
			metrics: &v1alpha1.MetricsParameters{Enabled: &off, Node: &v1alpha1.NodeMetricsParameters{Enabled: &on}}, s: running, m: local,
		},
		"NotRunning": {
			reason:  "A member whose server does not run yet gets neither.",
			metrics: &v1alpha1.MetricsParameters{}, m: local,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cr := &v1alpha1.DatabaseInstance{}
			cr.Spec.ForProvider.Metrics = tc.metrics
			var got []string
			for _, w := range wantedExporters(cr, tc.s, tc.m) {
				got = append(got, w.kind.name+" "+w.x.Endpoint())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nwantedExporters: -want +got:\n%s", tc.reason, diff)
			}
		})
	}
}
