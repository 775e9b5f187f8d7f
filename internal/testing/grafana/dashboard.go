// Package grafana reads the Grafana dashboard the project ships
// (monitoring/grafana-dashboard.json) for the tests that prove it: that
// each panel's query is PromQL that Prometheus accepts, reads only series
// something exports, and answers against a real scrape.
package grafana

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// A Query is one target of a panel.
type Query struct {
	Panel string
	Expr  string
}

// A Dashboard is what the tests read of a dashboard's JSON model.
type Dashboard struct {
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
		} `json:"list"`
	} `json:"templating"`
}

// Load reads the dashboard at path.
func Load(path string) (Dashboard, error) {
	var d Dashboard
	b, err := os.ReadFile(path)
	if err != nil {
		return d, err
	}
	return d, errors.Wrapf(json.Unmarshal(b, &d), "cannot parse %s", path)
}

// Variables names the dashboard's template variables.
func (d Dashboard) Variables() []string {
	out := make([]string, 0, len(d.Templating.List))
	for _, v := range d.Templating.List {
		out = append(out, v.Name)
	}
	return out
}

var variable = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

// Queries returns every panel's queries with each $name or ${name} of
// values replaced by its value, as Grafana sends them. A variable values
// does not name stays, so that a test sees it.
func (d Dashboard) Queries(values map[string]string) []Query {
	var out []Query
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			expr := variable.ReplaceAllStringFunc(t.Expr, func(m string) string {
				if v, ok := values[variable.FindStringSubmatch(m)[1]]; ok {
					return v
				}
				return m
			})
			out = append(out, Query{Panel: p.Title, Expr: expr})
		}
	}
	return out
}

// UsedVariables lists the variables the panels' queries name, sorted.
func (d Dashboard) UsedVariables() []string {
	seen := map[string]bool{}
	for _, q := range d.Queries(nil) {
		for _, m := range variable.FindAllStringSubmatch(q.Expr, -1) {
			seen[m[1]] = true
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// Metrics lists the metric names of prefix (dbaas_, pg_) the queries read.
func Metrics(queries []Query, prefix string) []string {
	re := regexp.MustCompile(`\b` + regexp.QuoteMeta(prefix) + `[a-z_]+`)
	var out []string
	for _, q := range queries {
		out = append(out, re.FindAllString(q.Expr, -1)...)
	}
	return out
}
