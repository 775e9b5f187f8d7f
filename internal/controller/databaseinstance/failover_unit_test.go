package databaseinstance

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
)

func TestFailoverSettings(t *testing.T) {
	off := false
	cases := map[string]struct {
		p       v1alpha1.DatabaseInstanceParameters
		enabled bool
		after   time.Duration
	}{
		"PrimaryByDefault": {p: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary}, enabled: true, after: 10 * time.Second},
		"Single":           {p: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologySingle}, after: 10 * time.Second},
		"Disabled": {p: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary,
			Failover: &v1alpha1.FailoverParameters{Enabled: &off}}, after: 10 * time.Second},
		"BelowMinimum": {p: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary,
			Failover: &v1alpha1.FailoverParameters{After: &metav1.Duration{Duration: time.Second}}}, enabled: true, after: 2 * time.Second},
		"After30s": {p: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary,
			Failover: &v1alpha1.FailoverParameters{After: &metav1.Duration{Duration: 30 * time.Second}}}, enabled: true, after: 30 * time.Second},
	}
	for name, tc := range cases {
		if got := failoverEnabled(tc.p); got != tc.enabled {
			t.Errorf("%s: failoverEnabled: want %v, got %v", name, tc.enabled, got)
		}
		if got := failoverAfter(tc.p); got != tc.after {
			t.Errorf("%s: failoverAfter: want %s, got %s", name, tc.after, got)
		}
	}
}

func TestEpochAndPoll(t *testing.T) {
	di := &v1alpha1.DatabaseInstance{}
	if r, err := readEpoch(di); err != nil || r != (epochRecord{}) {
		t.Errorf("no annotation: want the zero epoch, got %+v, %v", r, err)
	}
	di.SetAnnotations(map[string]string{AnnotationEpoch: `{"epoch":3,"primary":"vm-2","failover":true}`})
	if r, err := readEpoch(di); err != nil || r != (epochRecord{Epoch: 3, Primary: "vm-2", Failover: true}) {
		t.Errorf("want epoch 3 on vm-2, got %+v, %v", r, err)
	}
	di.SetAnnotations(map[string]string{AnnotationEpoch: `{`})
	if _, err := readEpoch(di); err == nil {
		t.Error("a torn epoch record: want an error, not epoch 0")
	}
	if got := pollWhileDown(di, time.Minute); got != time.Minute {
		t.Errorf("primary up: want the poll interval, got %s", got)
	}
	di.SetAnnotations(map[string]string{AnnotationPrimaryDownSince: time.Now().UTC().Format(time.RFC3339Nano)})
	if got := pollWhileDown(di, time.Minute); got != time.Second {
		t.Errorf("primary down: want a recheck every second, got %s", got)
	}
}

func TestPollWhileSwitching(t *testing.T) {
	off := false
	cases := map[string]struct {
		spec   v1alpha1.DatabaseInstanceParameters
		status string
		want   time.Duration
	}{
		"Single":         {spec: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologySingle}, want: time.Minute},
		"Settled":        {spec: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary, VirtualMachines: []string{"vm-0", "vm-1"}}, status: "vm-0", want: 5 * time.Second},
		"NoFailover":     {spec: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary, VirtualMachines: []string{"vm-0", "vm-1"}, Failover: &v1alpha1.FailoverParameters{Enabled: &off}}, status: "vm-0", want: time.Minute},
		"SwitchingTo":    {spec: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary, VirtualMachines: []string{"vm-0", "vm-1"}, Primary: "vm-1"}, status: "vm-0", want: time.Second},
		"SwitchedBack":   {spec: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary, VirtualMachines: []string{"vm-0", "vm-1"}}, status: "vm-1", want: time.Second},
		"NotObservedYet": {spec: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary, VirtualMachines: []string{"vm-0", "vm-1"}}, want: 5 * time.Second},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			di := &v1alpha1.DatabaseInstance{}
			di.Spec.ForProvider = tc.spec
			di.Status.AtProvider.Primary = tc.status
			if got := pollWhileDown(di, time.Minute); got != tc.want {
				t.Errorf("pollWhileDown: want %s, got %s", tc.want, got)
			}
		})
	}
}

func TestPrimaryDiedSinceObserve(t *testing.T) {
	off := false
	withFailover := v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary}
	noFailover := v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary, Failover: &v1alpha1.FailoverParameters{Enabled: &off}}
	cases := map[string]struct {
		p                 v1alpha1.DatabaseInstanceParameters
		answered, running bool
		want              bool
	}{
		"DiedBetweenObserveAndUpdate": {p: withFailover, answered: true, running: false, want: true},
		"StillRunning":                {p: withFailover, answered: true, running: true},
		"NotYetStarted":               {p: withFailover, answered: false, running: false},
		"FailoverDisabledRestarts":    {p: noFailover, answered: true, running: false},
		"SingleRestarts":              {p: v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologySingle}, answered: true},
	}
	for name, tc := range cases {
		if got := primaryDiedSinceObserve(tc.p, tc.answered, tc.running); got != tc.want {
			t.Errorf("%s: want %v, got %v", name, tc.want, got)
		}
	}
}

func TestPollUntilFailoverWaitEnds(t *testing.T) {
	now := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	after2s := v1alpha1.DatabaseInstanceParameters{Topology: v1alpha1.TopologyPrimary, VirtualMachines: []string{"vm-0", "vm-1"},
		Failover: &v1alpha1.FailoverParameters{After: &metav1.Duration{Duration: 2 * time.Second}}}
	cases := map[string]struct {
		down time.Duration
		want time.Duration
	}{
		// Looked at again every second while the wait is long, then at
		// the moment it ends.
		"JustDown":        {down: 0, want: time.Second},
		"WaitEndsSoon":    {down: 1700 * time.Millisecond, want: 300 * time.Millisecond},
		"WaitAlmostOver":  {down: 1999 * time.Millisecond, want: minRecheck},
		"WaitOverRefused": {down: 5 * time.Second, want: time.Second},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			di := &v1alpha1.DatabaseInstance{}
			di.Spec.ForProvider = after2s
			di.Status.AtProvider.Primary = "vm-0"
			di.SetAnnotations(map[string]string{AnnotationPrimaryDownSince: now.Add(-tc.down).Format(time.RFC3339Nano)})
			if got := pollAt(di, time.Minute, now); got != tc.want {
				t.Errorf("pollAt: want %s, got %s", tc.want, got)
			}
		})
	}
}
