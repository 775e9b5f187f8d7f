package databaseinstance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	freeports "github.com/dbaas-io/dbaas/internal/ports"
	"github.com/dbaas-io/dbaas/internal/testing/grafana"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/testproc"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// startManagerWithMetrics is startManagerWithLogger with the manager's
// /metrics served on a free loopback port, whose address it returns.
func startManagerWithMetrics(t *testing.T, env *testenv.Env, log logr.Logger) string {
	t.Helper()
	port, err := freeports.Free()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	withHooks := func(mgr ctrl.Manager, o options.Options) error { return setup(mgr, o, hooks{}) }
	env.StartManager(t, testenv.ManagerConfig{
		Setups:         []testenv.Setup{config.Setup, virtualmachine.Setup, withHooks},
		Log:            log,
		MetricsAddress: addr,
	})
	return addr
}

// checkScrape turns metrics on, waits until the status names the
// member's exporter and node_exporter endpoints, which the provider runs
// beside it, and runs a real Prometheus (Debian's) that scrapes both and
// the provider's every second, until Prometheus's query API says the
// targets are up and returns a real series from each, labelled with the
// instance, member and role (node_exporter's by the scrape config, as
// docs/platform-teams.md writes it), and the disk alert's ratio for the
// member. Prometheus is stopped, by PID, before it returns; the
// exporters' PIDs are returned, for the caller to see them go with the
// instance.
func checkScrape(t *testing.T, c client.Client, di *v1alpha1.DatabaseInstance, memberDir, providerAddr string) []int {
	t.Helper()
	prometheusBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("prometheus is not installed: make deps installs it")
	}
	patch(t, c, di, func(di *v1alpha1.DatabaseInstance) { di.Spec.ForProvider.Metrics = &v1alpha1.MetricsParameters{} })
	var endpoint, nodeEndpoint string
	wait.For(t, timeout, "status names the member's metrics and node metrics endpoints", func() (bool, string) {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(di), di); err != nil {
			return false, err.Error()
		}
		ms := di.Status.AtProvider.Members
		if len(ms) != 1 || ms[0].MetricsEndpoint == "" || ms[0].NodeMetricsEndpoint == "" {
			return false, fmt.Sprintf("members %+v; %s", ms, di.GetCondition(xpv2.TypeSynced).Message)
		}
		endpoint, nodeEndpoint = ms[0].MetricsEndpoint, ms[0].NodeMetricsEndpoint
		return true, ""
	})
	u := localEndpoint(t, "metricsEndpoint", endpoint, di.Status.AtProvider.Port+1)
	nu := localEndpoint(t, "nodeMetricsEndpoint", nodeEndpoint, di.Status.AtProvider.Port+2)
	exporters := []int{
		readPIDFile(t, filepath.Join(memberDir, "exporter", "exporter.pid")),
		readPIDFile(t, filepath.Join(memberDir, "node-exporter", "node-exporter.pid")),
	}

	dir := t.TempDir()
	promPort, err := freeports.Free()
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: provider
    static_configs: [{targets: ["%s"]}]
  - job_name: postgres
    static_configs: [{targets: ["%s"]}]
  - job_name: node
    static_configs:
      - targets: ["%s"]
        labels: {namespace: %q, database_instance: %q, member: vm}
`, providerAddr, u.Host, nu.Host, di.Namespace, di.Name)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	prom := exec.Command(prometheusBin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address=127.0.0.1:"+strconv.Itoa(promPort))
	stopProm := start(t, filepath.Join(dir, "prometheus.log"), prom)
	defer stopProm()

	api := "http://127.0.0.1:" + strconv.Itoa(promPort)
	member := `namespace="` + di.Namespace + `",database_instance="` + di.Name + `",member="vm"`
	for _, q := range []struct{ query, want string }{
		{`up{job="provider"}`, "1"},
		{`up{job="postgres"}`, "1"},
		{`up{job="node"}`, "1"},
		{`count(node_filesystem_size_bytes{job="node",` + member + `}) > bool 0`, "1"},
		// The disk alert's ratio, without its threshold: both sides carry
		// the member's labels, so its description can name them.
		{`count(node_filesystem_avail_bytes{fstype!~"tmpfs|overlay",` + member + `} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay",` + member + `}) > bool 0`, "1"},
		{`pg_up{job="postgres",namespace="` + di.Namespace + `",database_instance="` + di.Name + `",member="vm",role="primary"}`, "1"},
		{`dbaas_instance_member_up{job="provider",namespace="` + di.Namespace + `",database_instance="` + di.Name + `",role="primary"}`, "1"},
		{`sum(controller_runtime_reconcile_total{job="provider",controller="managed/databaseinstance.engine.dbaas.io"}) > bool 0`, "1"},
		{`sum(crossplane_managed_resource_exists{job="provider",gvk=~".*DatabaseInstance"}) >= bool 1`, "1"},
	} {
		wait.For(t, timeout, "Prometheus answers "+q.query+" with "+q.want, func() (bool, string) {
			got, err := query(api, q.query)
			if err != nil {
				return false, err.Error()
			}
			return got == q.want, "got " + got
		})
	}
	checkDashboard(t, api, di)
	return exporters
}

// localEndpoint parses the endpoint the status names in field and fails
// unless it is http://127.0.0.1:<port>/metrics.
func localEndpoint(t *testing.T, field, endpoint string, port int32) *url.URL {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" || u.Path != "/metrics" || u.Hostname() != "127.0.0.1" || u.Port() != strconv.Itoa(int(port)) {
		t.Fatalf("%s %q: want http://127.0.0.1:%d/metrics (%v)", field, endpoint, port, err)
	}
	return u
}

// readPIDFile reads the PID a pid file holds.
func readPIDFile(t *testing.T, p string) int {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return pid
}

// dashboardPanelsWithData are the panels of monitoring/grafana-dashboard.json
// that one unreplicated local instance, its exporters and the provider give
// series: the others read what this instance never has (replicas,
// promotions, backups, SQL objects, errors, play steps, which only plays
// over SSH and the watchdog's install run).
var dashboardPanelsWithData = []string{
	"Members up", "PostgreSQL up (exporter)", "Commits per second (exporter)", "Disk free (node_exporter)",
	"Machine backend calls", "Managed resources not ready", "Reconcile errors per second",
}

// checkDashboard runs each query of the shipped Grafana dashboard, with
// the instance's namespace and name as its variables, against the real
// Prometheus: every one must be accepted, and the panels of
// dashboardPanelsWithData must show at least one series.
func checkDashboard(t *testing.T, api string, di *v1alpha1.DatabaseInstance) {
	t.Helper()
	d, err := grafana.Load(filepath.Join(testenv.RepoRoot(t), "monitoring", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range d.Queries(map[string]string{"namespace": di.Namespace, "instance": di.Name}) {
		withData := slices.Contains(dashboardPanelsWithData, q.Panel)
		wait.For(t, timeout, "Prometheus answers the dashboard's panel "+q.Panel+": "+q.Expr, func() (bool, string) {
			got, err := samples(api, q.Expr)
			if err != nil {
				return false, err.Error()
			}
			return !withData || len(got) > 0, fmt.Sprintf("got %d series", len(got))
		})
	}
}

// start runs cmd with its output in logFile and returns what stops it, by
// its PID; the log is shown when the test fails.
func start(t *testing.T, logFile string, cmd *exec.Cmd) (stop func()) {
	t.Helper()
	p, err := testproc.StartProcess(logFile, cmd)
	if err != nil {
		t.Fatal(err)
	}
	return func() {
		_ = p.Stop()
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("%s:\n%s", filepath.Base(logFile), b)
		}
	}
}

// query asks Prometheus's HTTP API for an instant vector of one sample and
// returns its value; an empty result is "".
func query(api, q string) (string, error) {
	values, err := samples(api, q)
	switch {
	case err != nil:
		return "", err
	case len(values) == 0:
		return "", nil
	case len(values) == 1:
		return values[0], nil
	default:
		return "", fmt.Errorf("query %s: want one sample, got %d", q, len(values))
	}
}

// samples asks Prometheus's HTTP API for an instant vector and returns the
// value of each of its samples; an error when Prometheus refuses the query.
func samples(api, q string) ([]string, error) {
	resp, err := http.Get(api + "/api/v1/query?query=" + url.QueryEscape(q)) //nolint:noctx // A test's loopback call, bounded by the wait.
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", q, r.Error)
	}
	values := make([]string, 0, len(r.Data.Result))
	for _, s := range r.Data.Result {
		values = append(values, fmt.Sprint(s.Value[1]))
	}
	return values, nil
}
