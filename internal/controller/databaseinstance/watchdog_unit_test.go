package databaseinstance

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/clients/executor"
	"github.com/dbaas-io/dbaas/internal/engine/postgresql"
)

func TestWithStatusInterval(t *testing.T) {
	cases := map[string]struct {
		reason string
		params map[string]string
		after  time.Duration
		want   map[string]string
	}{
		"QuarterOfFenceAfter": {
			reason: "A replica replies four times per fenceAfter.",
			after:  10 * time.Second,
			want:   map[string]string{statusInterval: "2s"},
		},
		"AtLeastOneSecond": {
			reason: "PostgreSQL counts the interval in seconds: a short fenceAfter gets one.",
			params: map[string]string{"work_mem": "4MB"},
			after:  2 * time.Second,
			want:   map[string]string{"work_mem": "4MB", statusInterval: "1s"},
		},
		"SpecWins": {
			reason: "A value the spec sets is kept.",
			params: map[string]string{statusInterval: "7s"},
			after:  10 * time.Second,
			want:   map[string]string{statusInterval: "7s"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, withStatusInterval(tc.params, tc.after)); diff != "" {
				t.Errorf("%s\nwithStatusInterval(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
	in := map[string]string{"work_mem": "4MB"}
	withStatusInterval(in, time.Second)
	if _, ok := in[statusInterval]; ok {
		t.Error("withStatusInterval changed the spec's own map")
	}
}

func TestFenceAfter(t *testing.T) {
	d := func(v time.Duration) *metav1.Duration { return &metav1.Duration{Duration: v} }
	cases := map[string]struct {
		f    *v1alpha1.FailoverParameters
		want time.Duration
	}{
		"Default":    {nil, defaultFenceAfter},
		"Unset":      {&v1alpha1.FailoverParameters{After: d(30 * time.Second)}, defaultFenceAfter},
		"Set":        {&v1alpha1.FailoverParameters{FenceAfter: d(4 * time.Second)}, 4 * time.Second},
		"NotBelow2s": {&v1alpha1.FailoverParameters{FenceAfter: d(time.Second)}, 2 * time.Second},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := fenceAfter(v1alpha1.DatabaseInstanceParameters{Failover: tc.f}); got != tc.want {
				t.Errorf("fenceAfter: want %s, got %s", tc.want, got)
			}
		})
	}
}

func TestWatchdogStatus(t *testing.T) {
	cr := &v1alpha1.DatabaseInstance{}
	cr.Status.AtProvider.Members = []v1alpha1.Member{{VirtualMachine: "a", Watchdog: true}, {VirtualMachine: "b"}}
	wd := &memberWatchdog{binary: "/w"}
	inst := postgresql.NewInstance(cutOff{}, "/m", "pg", "15", 5432, "postgres")
	cases := map[string]struct {
		reason   string
		m        member
		s        memberState
		seen, up bool
	}{
		"Running": {
			reason: "A member whose watchdog runs records it.",
			m:      member{vm: "b", inst: inst, wd: wd}, s: memberState{Initialized: true, Watchdog: true},
			seen: true, up: true,
		},
		"NotRunning": {
			reason: "A member with data whose watchdog does not run is not up to date.",
			m:      member{vm: "a", inst: inst, wd: wd}, s: memberState{Initialized: true},
			seen: false, up: false,
		},
		"CutKeepsRecord": {
			reason: "A member the provider cannot reach keeps what the last look saw.",
			m:      member{vm: "a", inst: inst, wd: wd, cut: true, off: "cannot log in"}, s: memberState{},
			seen: true, up: true,
		},
		"NoData": {
			reason: "A member without data yet gets its watchdog with its data.",
			m:      member{vm: "b", inst: inst, wd: wd}, s: memberState{},
			seen: false, up: true,
		},
		"NoWatchdog": {
			reason: "A member without a watchdog (local backend, none configured) needs none.",
			m:      member{vm: "b", inst: inst}, s: memberState{Initialized: true},
			seen: false, up: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := watchdogSeen(cr, tc.m, tc.s); got != tc.seen {
				t.Errorf("%s\nwatchdogSeen: want %v, got %v", tc.reason, tc.seen, got)
			}
			if got := watchdogUp(tc.m, tc.s); got != tc.up {
				t.Errorf("%s\nwatchdogUp: want %v, got %v", tc.reason, tc.up, got)
			}
		})
	}
}

func TestPollHeartbeat(t *testing.T) {
	cr := &v1alpha1.DatabaseInstance{}
	cr.Spec.ForProvider.Topology = v1alpha1.TopologyPrimary
	cr.Spec.ForProvider.Failover = &v1alpha1.FailoverParameters{After: &metav1.Duration{Duration: 40 * time.Second}, FenceAfter: &metav1.Duration{Duration: 6 * time.Second}}
	if got := pollHeartbeat(cr, time.Minute); got != 3*time.Second {
		t.Errorf("a primary whose watchdog fences after 6s: want a look every 3s, got %s", got)
	}
	single := &v1alpha1.DatabaseInstance{}
	if got := pollHeartbeat(single, time.Minute); got != time.Minute {
		t.Errorf("a single instance has no watchdog: want the poll interval, got %s", got)
	}
}

func TestBinaryStep(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/dbaas-watchdog"
	bin := &binary{data: []byte("#!/bin/sh\n"), sum: "abc"}
	s := binaryStep(p, bin)
	ctx := t.Context()
	x := executor.Local{}
	if done, err := s.Check(ctx, x); err != nil || done {
		t.Fatalf("Check before the copy: want not done, got %v %v", done, err)
	}
	if err := s.Apply(ctx, x); err != nil {
		t.Fatal(err)
	}
	if done, err := s.Check(ctx, x); err != nil || !done {
		t.Fatalf("Check after the copy: want done, got %v %v", done, err)
	}
	if done, _ := binaryStep(p, &binary{data: bin.data, sum: "def"}).Check(ctx, x); done {
		t.Error("Check with another checksum: want not done, so that a new binary is copied")
	}
}

// TestWatchdogConfigOverSocket: the watchdog logs in over its member's unix
// socket as the admin role by peer, with no password and no TCP address.
func TestWatchdogConfigOverSocket(t *testing.T) {
	i := postgresql.NewInstance(cutOff{}, "/m/pg", "pg", "15", 5433, "postgres")
	i.Host = "10.0.0.5"
	c := watchdogConfig(i, 3)
	if c.Host != i.SocketDir() || c.User != "postgres" || c.Port != 5433 {
		t.Errorf("watchdog login: host %q user %q port %d; want the socket directory %q, the admin role, the member's port", c.Host, c.User, c.Port, i.SocketDir())
	}
	if c.PasswordFile != "" || c.SSLMode != "" || c.SSLRootCert != "" {
		t.Errorf("watchdog login over the socket: password file %q, sslmode %q, root cert %q; want none", c.PasswordFile, c.SSLMode, c.SSLRootCert)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "fenceAfter") {
		t.Errorf("Validate of the file part: want only the timing missing, got %v", err)
	}
}

// TestConfigStepRemovesPasswordFile: a member set up by a provider that gave
// its watchdog the admin's password gets the new configuration, and the
// password file goes with that write.
func TestConfigStepRemovesPasswordFile(t *testing.T) {
	dir := t.TempDir()
	pw, conf := filepath.Join(dir, "password"), filepath.Join(dir, "config.json")
	if err := os.WriteFile(pw, []byte("old admin password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	owner, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	s := withoutPasswordFile(ownedFile(conf, []byte("{}\n"), owner.Username), pw)
	ctx, x := t.Context(), executor.Local{}
	if err := s.Apply(ctx, x); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pw); !os.IsNotExist(err) {
		t.Errorf("the old password file: want it removed, stat says %v", err)
	}
	if done, err := s.Check(ctx, x); err != nil || !done {
		t.Errorf("Check after the write: want done, got %v %v", done, err)
	}
	if err := s.Apply(ctx, x); err != nil {
		t.Errorf("Apply with no password file left: %v", err)
	}
}
