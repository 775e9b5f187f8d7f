package databaseinstance

import (
	"testing"

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
			if got := exporterWanted(tc.p, tc.s, tc.m); got != tc.want {
				t.Errorf("%s\nexporterWanted: want %t, got %t", tc.reason, tc.want, got)
			}
		})
	}
}

func TestMetricsShown(t *testing.T) {
	cases := map[string]struct {
		reason string
		ap     v1alpha1.DatabaseInstanceObservation
		want   bool
	}{
		"None":    {reason: "No member named an endpoint: no exporter to stop when metrics are turned off."},
		"Replica": {reason: "Any member's endpoint counts.", ap: v1alpha1.DatabaseInstanceObservation{Members: []v1alpha1.Member{{}, {MetricsEndpoint: "http://10.0.0.6:9187/metrics"}}}, want: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := metricsShown(tc.ap); got != tc.want {
				t.Errorf("%s\nmetricsShown: want %t, got %t", tc.reason, tc.want, got)
			}
		})
	}
}
