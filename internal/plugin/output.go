package plugin

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/printers"
)

// Output formats, as kubectl's -o spells them.
const (
	outputTable = ""
	outputWide  = "wide"
	outputYAML  = "yaml"
	outputJSON  = "json"
)

func checkOutput(o string, allowed ...string) error {
	if slices.Contains(allowed, o) {
		return nil
	}
	var named []string
	for _, a := range allowed {
		if a != outputTable {
			named = append(named, a)
		}
	}
	return fmt.Errorf("unknown output format %q: -o takes %s, or nothing for a table", o, strings.Join(named, ", "))
}

// printObject prints an object as YAML or JSON with cli-runtime's printers,
// as kubectl get -o does.
func printObject(w io.Writer, format string, obj runtime.Object) error {
	var p printers.ResourcePrinter = &printers.JSONPrinter{}
	if format == outputYAML {
		p = &printers.YAMLPrinter{}
	}
	return p.PrintObj(obj, w)
}

// listOf wraps objects in a v1 List, as kubectl get -o yaml prints several,
// without their managed fields, as kubectl hides them by default.
func listOf(items []unstructured.Unstructured) *unstructured.UnstructuredList {
	l := &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": "v1", "kind": "List"}}
	for _, i := range items {
		i = *i.DeepCopy()
		i.SetManagedFields(nil)
		l.Items = append(l.Items, i)
	}
	return l
}

// printValue prints a plain value (a status, a catalog) as printObject
// does: the printers take runtime.Objects, and an unstructured one keeps
// the value's JSON field names and order of keys.
func printValue(w io.Writer, format, kind string, v any) error {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(v)
	if err != nil {
		return err
	}
	m["apiVersion"] = "plugin.dbaas.io/v1alpha1"
	m["kind"] = kind
	return printObject(w, format, &unstructured.Unstructured{Object: m})
}
