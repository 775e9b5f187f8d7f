package plugin

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/dbaas-io/dbaas/functions/dbaas/input/v1beta1"
)

// defaultCatalog is the label of the platform catalog's EnvironmentConfigs
// that apis/platform/composition.yaml names.
const defaultCatalog = "dbaas.io/catalog=default"

func newCatalogCommand(o *Options) *cobra.Command {
	var output, selector string
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "Show what the platform offers: engines, flavors, tiers, SKUs and environments",
		Long: "catalog reads the platform catalog (the EnvironmentConfigs the platform Composition names)\n" +
			"and shows each entry a Database may name, with its description.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, outputTable, outputYAML, outputJSON); err != nil {
				return err
			}
			c, err := newCluster(o.Flags)
			if err != nil {
				return err
			}
			items, err := c.list(cmd.Context(), environmentConfigs, "", metav1.ListOptions{LabelSelector: selector})
			if err != nil {
				return err
			}
			if len(items) == 0 {
				return fmt.Errorf("no catalog: no EnvironmentConfig is labelled %s; the platform team applies it (apis/platform/catalog)", selector)
			}
			cat, err := catalogOf(items)
			if err != nil {
				return err
			}
			if output != outputTable {
				return printValue(o.IO.Out, output, "Catalog", &cat)
			}
			return renderCatalog(o.IO.Out, cat, o.painter())
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Output format: yaml or json.")
	cmd.Flags().StringVarP(&selector, "selector", "l", defaultCatalog, "Labels of the catalog's EnvironmentConfigs.")
	return cmd
}

// catalogOf merges the lists of a catalog's EnvironmentConfigs, each entry
// sorted by name. The composition function checks the catalog strictly;
// this only reads it, so that a team sees what is on offer.
func catalogOf(configs []unstructured.Unstructured) (v1beta1.Catalog, error) {
	var c v1beta1.Catalog
	for _, ec := range configs {
		data, _, _ := unstructured.NestedMap(ec.Object, "data")
		b, err := json.Marshal(data)
		if err != nil {
			return c, err
		}
		var part v1beta1.Catalog
		if err := json.Unmarshal(b, &part); err != nil {
			return c, fmt.Errorf("EnvironmentConfig %s is not a catalog the plugin can read: %w", ec.GetName(), err)
		}
		c.Engines = append(c.Engines, part.Engines...)
		c.Flavors = append(c.Flavors, part.Flavors...)
		c.Tiers = append(c.Tiers, part.Tiers...)
		c.SKUs = append(c.SKUs, part.SKUs...)
		c.Environments = append(c.Environments, part.Environments...)
	}
	slices.SortStableFunc(c.Engines, func(a, b v1beta1.Engine) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortStableFunc(c.Flavors, func(a, b v1beta1.Flavor) int {
		return cmp.Or(cmp.Compare(a.Engine, b.Engine), cmp.Compare(a.Name, b.Name))
	})
	slices.SortStableFunc(c.SKUs, func(a, b v1beta1.SKU) int { return cmp.Compare(a.MemoryMiB, b.MemoryMiB) })
	slices.SortStableFunc(c.Environments, func(a, b v1beta1.Environment) int { return cmp.Compare(a.Name, b.Name) })
	return c, nil
}

// renderCatalog prints one table per list, tiers in the catalog's order
// (from the smallest shape up) and SKUs by size.
func renderCatalog(w io.Writer, c v1beta1.Catalog, p painter) error {
	var b strings.Builder
	engines := table{header: []string{"ENGINE", "VERSIONS", "DEFAULT", "DESCRIPTION"}}
	for _, e := range c.Engines {
		engines.add(cells(e.Name, strings.Join(e.Versions, ", "), e.DefaultVersion, e.Description)...)
	}
	flavors := table{header: []string{"FLAVOR", "ENGINE", "EXTENSIONS", "DESCRIPTION"}}
	for _, f := range c.Flavors {
		flavors.add(cells(f.Name, f.Engine, orDash(strings.Join(f.Extensions, ", ")), f.Description)...)
	}
	tiers := table{header: []string{"TIER", "TOPOLOGY", "MEMBERS", "REPLICATION", "FAILOVER", "BACKUPS", "DESCRIPTION"}}
	for _, t := range c.Tiers {
		tiers.add(cells(t.Name, string(t.Topology), members(t), orDash(string(t.Replication)), yesNo(t.Failover), backupPolicy(t.Backup), t.Description)...)
	}
	skus := table{header: []string{"SKU", "CPU", "MEMORY", "MAX-CONNECTIONS", "DESCRIPTION"}}
	for _, s := range c.SKUs {
		maxConn := "-"
		if s.MaxConnections != nil {
			maxConn = strconv.Itoa(int(*s.MaxConnections))
		}
		skus.add(cells(s.Name, strconv.Itoa(int(s.CPU)), strconv.Itoa(int(s.MemoryMiB))+" MiB", maxConn, s.Description)...)
	}
	envs := table{header: []string{"ENVIRONMENT", "TIERS", "BACKUPS", "PRICES", "DESCRIPTION"}}
	for _, e := range c.Environments {
		envs.add(cells(e.Name, orAll(e.AllowedTiers), orDash(e.BackupStore), prices(e.Pricing), e.Description)...)
	}
	for i, t := range []table{engines, flavors, tiers, skus, envs} {
		if len(t.rows) == 0 {
			continue
		}
		if i > 0 && b.Len() > 0 {
			b.WriteString("\n")
		}
		_ = t.render(&b, p)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func members(t v1beta1.Tier) string {
	if t.Members == 0 {
		return "-"
	}
	return strconv.Itoa(int(t.Members))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func backupPolicy(b *v1beta1.BackupPolicy) string {
	if b == nil {
		return "none"
	}
	s := fmt.Sprintf("%s, kept %dd", b.Schedule, b.RetentionDays)
	if b.PITRWindowDays > 0 {
		s += fmt.Sprintf(", any second of %dd", b.PITRWindowDays)
	}
	return s
}

func orAll(tiers []string) string {
	if len(tiers) == 0 {
		return "all"
	}
	return strings.Join(tiers, ", ")
}

// prices is what a member of each SKU costs a month in an environment.
func prices(p *v1beta1.Pricing) string {
	if p == nil || len(p.SKUs) == 0 {
		return "-"
	}
	names := make([]string, 0, len(p.SKUs))
	for n := range p.SKUs {
		names = append(names, n)
	}
	price := func(n string) float64 {
		f, _ := strconv.ParseFloat(string(p.SKUs[n]), 64)
		return f
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(price(a), price(b)), cmp.Compare(a, b)) })
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, n+" "+string(p.SKUs[n]))
	}
	return strings.Join(parts, ", ") + " " + p.Currency + "/month"
}
