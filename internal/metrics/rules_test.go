package metrics

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/yaml"
)

// TestAlertRules proves the alerts shipped in examples/monitoring and
// monitoring/: the plain rules file holds the PrometheusRule's groups, every dbaas_ series
// the rules read is one the provider exports, and promtool checks the
// rules and runs rules.test.yml, where each alert fires on a series that
// should trigger it and stays quiet on one that should not.
func TestAlertRules(t *testing.T) {
	// The package is two levels below the repository's root; testenv,
	// which finds the root, imports this package.
	root := filepath.Join("..", "..")
	dir := filepath.Join(root, "monitoring")
	var pr struct {
		Spec struct {
			Groups []any `json:"groups"`
		} `json:"spec"`
	}
	var plain struct {
		Groups []any `json:"groups"`
	}
	read(t, filepath.Join(root, "examples", "monitoring", "prometheusrule.yaml"), &pr)
	read(t, filepath.Join(dir, "rules.yml"), &plain)
	if len(pr.Spec.Groups) == 0 {
		t.Fatal("prometheusrule.yaml: want spec.groups")
	}
	if diff := cmp.Diff(pr.Spec.Groups, plain.Groups); diff != "" {
		t.Errorf("rules.yml must hold prometheusrule.yaml's spec.groups: -PrometheusRule, +rules.yml:\n%s", diff)
	}

	rules, err := os.ReadFile(filepath.Join(dir, "rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	exported := exportedNames()
	for _, name := range regexp.MustCompile(`\bdbaas_[a-z_]+`).FindAllString(string(rules), -1) {
		if !exported[name] {
			t.Errorf("rules.yml reads %s, which the provider does not export", name)
		}
	}

	promtool := promtool(t)
	for _, args := range [][]string{{"check", "rules", "rules.yml"}, {"test", "rules", "rules.test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// promtool finds Debian's promtool, which make deps installs; a test that
// needs it skips without it only outside CI.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is not installed: make deps installs Debian's prometheus, which has it")
		}
		t.Skip("promtool is not installed; make deps installs Debian's prometheus, which has it")
	}
	return p
}

func read(t *testing.T, file string, into any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// exportedNames are the names of the provider's own metrics, with the
// _bucket, _sum and _count series of its histograms.
func exportedNames() map[string]bool {
	ch := make(chan *prometheus.Desc, 64)
	go func() {
		for _, c := range []prometheus.Collector{promotions, promotionSeconds, stepSeconds, stepFailures,
			sqlSeconds, sqlErrors, backendCalls, backendSeconds, instanceCollector()} {
			c.Describe(ch)
		}
		close(ch)
	}()
	names := map[string]bool{}
	for d := range ch {
		n := fqName(d)
		for _, s := range []string{"", "_bucket", "_sum", "_count"} {
			names[n+s] = true
		}
	}
	return names
}
