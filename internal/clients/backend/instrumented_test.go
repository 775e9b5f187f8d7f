package backend

import (
	"errors"
	"fmt"
	"testing"

	"github.com/dbaas-io/dbaas/internal/clients/machine"
	"github.com/dbaas-io/dbaas/internal/metrics"
)

func TestCallResult(t *testing.T) {
	cases := map[string]struct {
		reason string
		err    error
		want   string
	}{
		"OK":          {reason: "A call without error is ok.", want: metrics.CallOK},
		"Throttled":   {reason: "A 429, however wrapped, is throttling.", err: fmt.Errorf("create: %w", &machine.TransientError{Backend: "azure", StatusCode: 429}), want: metrics.CallThrottled},
		"ServerError": {reason: "A 5xx is transient but not throttling: an error.", err: &machine.TransientError{Backend: "gcp", StatusCode: 503}, want: metrics.CallError},
		"Other":       {reason: "Anything else is an error.", err: errors.New("no such machine"), want: metrics.CallError},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := callResult(tc.err); got != tc.want {
				t.Errorf("%s\ncallResult(%v): want %q, got %q", tc.reason, tc.err, tc.want, got)
			}
		})
	}
}
