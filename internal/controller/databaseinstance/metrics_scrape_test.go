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

	"github.com/go-logr/logr"
	"github.com/jackc/pgx/v5"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/dbaas-io/dbaas/apis/engine/v1alpha1"
	"github.com/dbaas-io/dbaas/internal/controller/config"
	"github.com/dbaas-io/dbaas/internal/controller/options"
	"github.com/dbaas-io/dbaas/internal/controller/virtualmachine"
	freeports "github.com/dbaas-io/dbaas/internal/ports"
	"github.com/dbaas-io/dbaas/internal/runas"
	"github.com/dbaas-io/dbaas/internal/testing/grafana"
	"github.com/dbaas-io/dbaas/internal/testing/testenv"
	"github.com/dbaas-io/dbaas/internal/testing/testproc"
	"github.com/dbaas-io/dbaas/internal/testing/wait"
)

// monitorUser is the OS user the exporter runs as and the role it logs in
// as over the unix socket: pg_hba.conf lets any role in over the socket as
// the OS user of its name (peer), and the engine's user, which owns the
// socket's directory, is the one OS user the member's files let through.
// The role is made with pg_monitor only, not a superuser.
const monitorUser = "postgres"

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

// checkScrape runs prometheus-postgres-exporter beside the instance's
// member and a real Prometheus (Debian's) that scrapes it and the
// provider's endpoint every second, and waits until Prometheus's query API
// says both targets are up and returns a real series from each. Both are
// stopped, by PID, before it returns.
func checkScrape(t *testing.T, di *v1alpha1.DatabaseInstance, dataDir, providerAddr string) {
	t.Helper()
	exporterBin, err := exec.LookPath("prometheus-postgres-exporter")
	if err != nil {
		t.Fatal("prometheus-postgres-exporter is not installed: make deps installs it")
	}
	prometheusBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("prometheus is not installed: make deps installs it")
	}
	sockDir, port := socketOf(t, dataDir)
	createMonitorRole(t, sockDir, port, di.Spec.ForProvider.AdminUser)

	dir := t.TempDir()
	exporterPort, err := freeports.Free()
	if err != nil {
		t.Fatal(err)
	}
	exporter, err := runas.User(monitorUser).Command(exporterBin,
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(exporterPort),
		"--constantLabels=namespace="+di.Namespace+",database_instance="+di.Name+",member=vm,role=primary")
	if err != nil {
		t.Fatal(err)
	}
	// The connection string goes in the environment, never on the command
	// line; over the socket there is no password to hide either.
	exporter.Env = []string{fmt.Sprintf("DATA_SOURCE_NAME=host=%s port=%d user=%s dbname=postgres sslmode=disable", sockDir, port, monitorUser)}
	stopExporter := start(t, filepath.Join(dir, "exporter.log"), exporter)
	defer stopExporter()

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
    static_configs: [{targets: ["127.0.0.1:%d"]}]
`, providerAddr, exporterPort)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	prom := exec.Command(prometheusBin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address=127.0.0.1:"+strconv.Itoa(promPort))
	stopProm := start(t, filepath.Join(dir, "prometheus.log"), prom)
	defer stopProm()

	api := "http://127.0.0.1:" + strconv.Itoa(promPort)
	for _, q := range []struct{ query, want string }{
		{`up{job="provider"}`, "1"},
		{`up{job="postgres"}`, "1"},
		{`pg_up{job="postgres",database_instance="` + di.Name + `"}`, "1"},
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
}

// dashboardPanelsWithData are the panels of monitoring/grafana-dashboard.json
// that one unreplicated local instance, its exporter and the provider give
// series: the others read what this instance never has (replicas,
// promotions, backups, SQL objects, errors, play steps, which only plays
// over SSH and the watchdog's install run).
var dashboardPanelsWithData = []string{
	"Members up", "PostgreSQL up (exporter)", "Commits per second (exporter)",
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

// socketOf reads the member's socket directory and port from its
// postmaster.pid (lines 4 and 5).
func socketOf(t *testing.T, dataDir string) (string, int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 5 {
		t.Fatalf("postmaster.pid: want at least 5 lines, got %q", b)
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(lines[4]), port
}

// createMonitorRole makes monitorUser a login role in pg_monitor, as the
// admin role over the socket (pg_ident.conf maps root to it).
func createMonitorRole(t *testing.T, sockDir string, port int, admin string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Host, cfg.Port, cfg.User, cfg.Database = sockDir, uint16(port), admin, "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	role := pgx.Identifier{monitorUser}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE ROLE "+role+" LOGIN IN ROLE pg_monitor"); err != nil {
		t.Fatal(err)
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
