package metrics

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/dbaas-io/dbaas/apis"
)

func newScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := apis.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRecorders(t *testing.T) {
	Step("metrics-test step", StepFailed, time.Second)
	Step("metrics-test step", StepChanged, time.Second)
	if got := testutil.ToFloat64(stepFailures.WithLabelValues("metrics-test step")); got != 1 {
		t.Errorf("step failures: want 1 (one failed, one changed), got %v", got)
	}
	SQL("postgresql/metrics-test:5432", "grant", time.Millisecond, errors.New("permission denied"))
	SQL("postgresql/metrics-test:5432", "grant", time.Millisecond, nil)
	if got := testutil.ToFloat64(sqlErrors.WithLabelValues("postgresql/metrics-test:5432", "grant")); got != 1 {
		t.Errorf("SQL errors: want 1 of 2 operations, got %v", got)
	}
	BackendCall("metrics-test", "create", CallThrottled, time.Millisecond)
	if got := testutil.ToFloat64(backendCalls.WithLabelValues("metrics-test", "create", CallThrottled)); got != 1 {
		t.Errorf("throttled backend calls: want 1, got %v", got)
	}
	Promoted("ns", "metrics-test", KindFailover, time.Now().Add(-3*time.Second))
	Promoted("ns", "metrics-test", KindFailover, time.Time{})
	if got := testutil.ToFloat64(promotions.WithLabelValues("ns", "metrics-test", KindFailover)); got != 2 {
		t.Errorf("promotions: want 2, got %v", got)
	}
	// A promotion whose decision time is lost is counted but not timed.
	if got := testutil.CollectAndCount(promotionSeconds, "dbaas_promotion_duration_seconds"); got != 1 {
		t.Errorf("promotion durations: want one histogram series, got %d", got)
	}
}

func TestCrossplaneOnce(t *testing.T) {
	// A second manager of the process (a test's restart) gets the same
	// recorders rather than a registry panic.
	if a, b := Crossplane(), Crossplane(); a != b || a.MRMetrics == nil || a.MRStateMetrics == nil {
		t.Errorf("Crossplane(): want the same registered recorders twice, got %p and %p", a, b)
	}
}

var fqNamePattern = regexp.MustCompile(`fqName: "([^"]+)"`)

// fqName reads a description's metric name out of its String, for which
// the client library has no getter.
func fqName(d *prometheus.Desc) string {
	m := fqNamePattern.FindStringSubmatch(d.String())
	if m == nil {
		return ""
	}
	return m[1]
}
