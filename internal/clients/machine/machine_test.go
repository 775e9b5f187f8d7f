package machine

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCheckDisks(t *testing.T) {
	cases := map[string]struct {
		current, desired []Disk
		wantErr          string
	}{
		"Same":      {current: []Disk{{Name: "a", SizeGiB: 10}}, desired: []Disk{{Name: "a", SizeGiB: 10}}},
		"Grow":      {current: []Disk{{Name: "a", SizeGiB: 10}}, desired: []Disk{{Name: "a", SizeGiB: 20}}},
		"Add":       {current: []Disk{{Name: "a", SizeGiB: 10}}, desired: []Disk{{Name: "a", SizeGiB: 10}, {Name: "b", SizeGiB: 1}}},
		"Shrink":    {current: []Disk{{Name: "a", SizeGiB: 10}}, desired: []Disk{{Name: "a", SizeGiB: 5}}, wantErr: `disk "a" cannot shrink from 10 GiB to 5 GiB: disks only grow; nothing was changed`},
		"Dropped":   {current: []Disk{{Name: "a", SizeGiB: 10}, {Name: "b", SizeGiB: 2}}, desired: []Disk{{Name: "a", SizeGiB: 10}}, wantErr: `disk "b" (2 GiB) is not in the spec`},
		"FirstDisk": {current: nil, desired: []Disk{{Name: "a", SizeGiB: 10}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := CheckDisks(tc.current, tc.desired)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckDisks: %v", err)
				}
				return
			}
			var se *ShrinkError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("CheckDisks: want a ShrinkError containing %q, got %v", tc.wantErr, err)
			}
		})
	}
}

func TestDifferences(t *testing.T) {
	m := &Machine{CPU: 2, MemoryMiB: 2048, PowerState: PowerOn, Disks: []Disk{{Name: "a", SizeGiB: 10}, {Name: "x", SizeGiB: 1}}}
	cases := map[string]struct {
		spec Spec
		want []string
	}{
		"UpToDate": {spec: Spec{CPU: 2, MemoryMiB: 2048, Disks: []Disk{{Name: "x", SizeGiB: 1}, {Name: "a", SizeGiB: 10}}}},
		"Everything": {
			spec: Spec{CPU: 4, MemoryMiB: 1024, PowerState: PowerOff, Disks: []Disk{{Name: "a", SizeGiB: 20}, {Name: "b", SizeGiB: 5}}},
			want: []string{"cpu 2, want 4", "memoryMiB 2048, want 1024", "disk a 10 GiB, want 20 GiB", "disk b missing, want 5 GiB", "disk x is not in the spec", "power On, want Off"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Differences(tc.spec, m)); diff != "" {
				t.Errorf("Differences: -want, +got:\n%s", diff)
			}
		})
	}
}

func TestRuleDifferences(t *testing.T) {
	r := &Rule{Ports: []int32{5432}, Protocol: "TCP", SourceCIDRs: []string{"10.0.0.0/8"}, Priority: 1000}
	cases := map[string]struct {
		spec RuleSpec
		want []string
	}{
		"UpToDate":   {spec: RuleSpec{Ports: []int32{5432}, Protocol: "TCP", SourceCIDRs: []string{"10.0.0.0/8"}, Priority: 1000}},
		"OtherPorts": {spec: RuleSpec{Ports: []int32{5432, 6432}, Protocol: "TCP", SourceCIDRs: []string{"10.0.0.0/8"}}, want: []string{"ports [5432], want [5432 6432]"}},
		"OtherCIDRs": {spec: RuleSpec{Ports: []int32{5432}, SourceCIDRs: []string{"192.168.0.0/16"}}, want: []string{"sourceCIDRs [10.0.0.0/8], want [192.168.0.0/16]"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, RuleDifferences(tc.spec, r)); diff != "" {
				t.Errorf("RuleDifferences: -want, +got:\n%s", diff)
			}
		})
	}
}

func TestTransientError(t *testing.T) {
	h := http.Header{}
	h.Set("Retry-After", "3")
	err := &TransientError{Backend: "gcp", StatusCode: 429, RetryAfter: RetryAfter(h), Err: errors.New("rateLimitExceeded")}
	want := "gcp is throttling requests (429); retrying with back-off (it asked to wait 3s): rateLimitExceeded"
	if err.Error() != want {
		t.Errorf("Error():\nwant %s\n got %s", want, err.Error())
	}
	err = &TransientError{Backend: "azure", StatusCode: 503, Err: errors.New("busy")}
	if !strings.HasPrefix(err.Error(), "azure answered 503 Service Unavailable; retrying with back-off") {
		t.Errorf("Error(): %s", err.Error())
	}
	h.Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
	if d := RetryAfter(h); d < 59*time.Minute {
		t.Errorf("RetryAfter of a date an hour away: %s", d)
	}
}
