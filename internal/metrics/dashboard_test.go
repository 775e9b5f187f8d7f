package metrics

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dbaas-io/dbaas/internal/testing/grafana"
)

// TestGrafanaDashboard proves the dashboard in monitoring/ without a
// Grafana: every panel has a query, every variable a query names is one
// the dashboard defines, every dbaas_ series it reads is one the provider
// exports, and promtool accepts each query as PromQL (as a recording rule,
// with the variables given values as Grafana would). That the queries
// answer against a real scrape is TestDatabaseInstanceLifecycle's part.
func TestGrafanaDashboard(t *testing.T) {
	d, err := grafana.Load(filepath.Join("..", "..", "monitoring", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Panels) == 0 {
		t.Fatal("want panels")
	}
	for _, p := range d.Panels {
		if len(p.Targets) == 0 || p.Targets[0].Expr == "" {
			t.Errorf("panel %q: want a query", p.Title)
		}
	}
	for _, v := range d.UsedVariables() {
		if !slices.Contains(d.Variables(), v) {
			t.Errorf("the queries name $%s, which the dashboard does not define (it defines %v)", v, d.Variables())
		}
	}
	queries := d.Queries(map[string]string{"namespace": "team-a", "instance": "orders"})
	exported := exportedNames()
	for _, name := range grafana.Metrics(queries, "dbaas_") {
		if !exported[name] {
			t.Errorf("the dashboard reads %s, which the provider does not export", name)
		}
	}

	var rules strings.Builder
	rules.WriteString("groups:\n- name: dashboard\n  rules:\n")
	for i, q := range queries {
		fmt.Fprintf(&rules, "  - record: dashboard:panel_%d\n    expr: %q\n", i, q.Expr)
	}
	file := filepath.Join(t.TempDir(), "dashboard.rules.yml")
	if err := os.WriteFile(file, []byte(rules.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool(t), "check", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules on the dashboard's queries: %v\n%s", err, out)
	}
}
