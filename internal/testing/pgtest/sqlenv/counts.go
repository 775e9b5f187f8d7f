package sqlenv

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// Counts are what the SQL controllers asked of the API server and of the
// database servers so far: the API server's own request counter (so that
// writes which change nothing count too), the provider's SQL operation
// counter, and a controller's reconciles. Differences of two are what a
// stretch of reconciles cost.
type Counts struct {
	// Reconciles of the controller asked for.
	Reconciles float64
	// API requests by "VERB resource[/subresource]".
	API map[string]float64
	// SQL operations by the provider's operation label.
	SQL map[string]float64
}

// Counts reads the counters; controller is the controller-runtime name of
// the kind's controller, e.g. "managed/database.sql.dbaas.io".
func (e *Env) Counts(t *testing.T, controller string) Counts {
	t.Helper()
	c := Counts{API: map[string]float64{}, SQL: map[string]float64{}}
	cs, err := kubernetes.NewForConfig(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := cs.RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range metrics(fams["apiserver_request_total"]) {
		l := labels(m)
		if l["resource"] == "" || l["dry_run"] != "" {
			continue
		}
		key := l["verb"] + " " + l["resource"]
		if l["subresource"] != "" {
			key += "/" + l["subresource"]
		}
		c.API[key] += m.GetCounter().GetValue()
	}
	own, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range own {
		for _, m := range f.GetMetric() {
			l := labels(m)
			switch f.GetName() {
			case "controller_runtime_reconcile_total":
				if l["controller"] == controller {
					c.Reconciles += m.GetCounter().GetValue()
				}
			case "dbaas_sql_operation_duration_seconds":
				c.SQL[l["operation"]] += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return c
}

// Since is what happened between before and c, without what did not.
func (c Counts) Since(before Counts) Counts {
	d := Counts{Reconciles: c.Reconciles - before.Reconciles, API: map[string]float64{}, SQL: map[string]float64{}}
	for k, v := range c.API {
		if n := v - before.API[k]; n > 0 {
			d.API[k] = n
		}
	}
	for k, v := range c.SQL {
		if n := v - before.SQL[k]; n > 0 {
			d.SQL[k] = n
		}
	}
	return d
}

// String lists the counts, sorted, for a test's log.
func (c Counts) String() string {
	var b strings.Builder
	b.WriteString("reconciles ")
	b.WriteString(model.SampleValue(c.Reconciles).String())
	for _, m := range []map[string]float64{c.API, c.SQL} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b.WriteString("; " + k + " " + model.SampleValue(m[k]).String())
		}
	}
	return b.String()
}

func metrics(f *dto.MetricFamily) []*dto.Metric {
	if f == nil {
		return nil
	}
	return f.GetMetric()
}

func labels(m *dto.Metric) map[string]string {
	l := map[string]string{}
	for _, p := range m.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return l
}

// SteadyPolls waits for polls reconciles of controller from now, on
// resources that nothing changes, and returns what they cost.
func (e *Env) SteadyPolls(t *testing.T, controller string, polls int) Counts {
	t.Helper()
	before := e.Counts(t, controller)
	var d Counts
	wait.For(t, Timeout, controller+" to poll "+strconv.Itoa(polls)+" times", func() (bool, error) {
		d = e.Counts(t, controller).Since(before)
		return d.Reconciles >= float64(polls), nil
	})
	t.Logf("%s, %d steady polls: %v", controller, polls, d)
	return d
}

// Writes are the API requests of c other than reads on resources, e.g.
// "databases/status"; the API server's own housekeeping (leases,
// endpoints) is left out by naming only what a controller writes.
func (c Counts) Writes(resources ...string) map[string]float64 {
	out := map[string]float64{}
	for k, n := range c.API {
		verb, resource, _ := strings.Cut(k, " ")
		if verb != "GET" && verb != "LIST" && verb != "WATCH" && slices.Contains(resources, resource) {
			out[k] = n
		}
	}
	return out
}
