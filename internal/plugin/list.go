package plugin

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/duration"
)

func newListCommand(o *Options) *cobra.Command {
	var all bool
	var output string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the namespace's Databases: engine, tier, SKU, environment, phase, primary, age",
		Example: "  kubectl dbaas list\n  kubectl dbaas list -A -o wide",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, outputTable, outputWide, outputYAML, outputJSON); err != nil {
				return err
			}
			c, err := newCluster(o.Flags)
			if err != nil {
				return err
			}
			ns := c.namespace
			if all {
				ns = ""
			}
			items, err := c.list(cmd.Context(), databases, ns, metav1.ListOptions{})
			if err != nil {
				return err
			}
			switch output {
			case outputYAML, outputJSON:
				return printObject(o.IO.Out, output, listOf(items))
			}
			if len(items) == 0 {
				if all {
					_, err = fmt.Fprintln(o.IO.ErrOut, "No Databases found.")
				} else {
					_, err = fmt.Fprintf(o.IO.ErrOut, "No Databases found in namespace %s.\n", ns)
				}
				return err
			}
			return listTable(items, all, output == outputWide, o.Now()).render(o.IO.Out, o.painter())
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "List the Databases of every namespace.")
	cmd.Flags().StringVarP(&output, "output", "o", "", "Output format: wide, yaml or json.")
	return cmd
}

// listTable is the table of kubectl dbaas list: one row per Database, the
// namespace first with every namespace, and the version, flavor, endpoint,
// cost and why it is not Ready when wide.
func listTable(items []unstructured.Unstructured, allNamespaces, wide bool, now time.Time) table {
	t := table{header: []string{"NAME", "ENGINE", "TIER", "SKU", "ENVIRONMENT", "PHASE", "PRIMARY", "AGE"}}
	if allNamespaces {
		t.header = append([]string{"NAMESPACE"}, t.header...)
	}
	if wide {
		t.header = append(t.header, "VERSION", "FLAVOR", "ENDPOINT", "COST", "MESSAGE")
	}
	for i := range items {
		d := asDatabase(&items[i])
		phase, msg := d.phase()
		row := []cell{
			{text: d.name()},
			{text: orNone(d.str("spec", "engine"))},
			{text: orNone(d.str("spec", "tier"))},
			{text: orNone(d.str("spec", "sku"))},
			{text: orNone(d.str("spec", "environment"))},
			{text: phase, style: phaseStyle(phase)},
			{text: orNone(d.str("status", "primary"))},
			{text: age(d.xr.GetCreationTimestamp(), now)},
		}
		if allNamespaces {
			row = append([]cell{{text: d.namespace()}}, row...)
		}
		if wide {
			row = append(row,
				cell{text: orNone(d.str("spec", "version"))},
				cell{text: orNone(d.str("spec", "flavor"))},
				cell{text: orNone(endpoint(d))},
				cell{text: orNone(cost(d))},
				cell{text: msg},
			)
		}
		t.add(row...)
	}
	return t
}

func phaseStyle(phase string) style {
	switch phase {
	case phaseReady:
		return good
	case phaseFailing:
		return bad
	}
	return warn
}

// none is what a table shows for a value that is not set, as kubectl does.
const none = "<none>"

func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}

func age(created metav1.Time, now time.Time) string {
	if created.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(created.Time))
}

func endpoint(d database) string {
	host := d.str("status", "endpoint")
	port, ok, _ := unstructured.NestedInt64(d.xr.Object, "status", "port")
	if host == "" || !ok {
		return host
	}
	return net.JoinHostPort(host, strconv.FormatInt(port, 10))
}

func cost(d database) string {
	amount := d.str("status", "estimatedMonthlyCost", "amount")
	if amount == "" {
		return ""
	}
	return amount + " " + d.str("status", "estimatedMonthlyCost", "currency") + "/month"
}
