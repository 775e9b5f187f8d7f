package pgextensions

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// TestCRDListsMatch checks that the validation rules on the extensions of
// a DatabaseInstance and of a sql Database, which the API server applies
// before the provider sees either, allow exactly the union of this
// package's lists: the three cannot drift.
func TestCRDListsMatch(t *testing.T) {
	union := map[string]bool{}
	for _, v := range Versions() {
		for _, n := range Names(v) {
			union[n] = true
		}
	}
	want := make([]string, 0, len(union))
	for n := range union {
		want = append(want, n)
	}
	sort.Strings(want)

	for _, crd := range []string{"engine.dbaas.io_databaseinstances.yaml", "sql.dbaas.io_databases.yaml"} {
		t.Run(crd, func(t *testing.T) {
			for _, rule := range extensionsRules(t, crd) {
				checkRule(t, rule, want)
			}
		})
	}
}

// checkRule checks that rule accepts exactly want, and names the same list
// in its message.
func checkRule(t *testing.T, rule apiextensionsv1.ValidationRule, want []string) {
	t.Helper()
	// The rule names the list twice: once to accept, once to name the
	// first refused extension in its message.
	m := regexp.MustCompile(`^self\.all\(e, e in \[([^\]]*)\]\)$`).FindStringSubmatch(rule.Rule)
	if m == nil {
		t.Fatalf("spec.forProvider.extensions has no allow-list rule of the form self.all(e, e in [...]): %q", rule.Rule)
	}
	if diff := cmp.Diff(want, quoted(m[1])); diff != "" {
		t.Errorf("the rule's allow-list differs from this package's lists (-want +got); edit the marker on Extensions and run make generate:\n%s", diff)
	}
	m = regexp.MustCompile(`e in \[([^\]]*)\]`).FindStringSubmatch(rule.MessageExpression)
	if m == nil {
		t.Fatalf("the rule's message does not name the list: %q", rule.MessageExpression)
	}
	if diff := cmp.Diff(want, quoted(m[1])); diff != "" {
		t.Errorf("the message's allow-list differs from this package's lists (-want +got):\n%s", diff)
	}
}

// extensionsRules returns the one validation rule on
// spec.forProvider.extensions of each version of the named CRD in
// package/crds.
func extensionsRules(t *testing.T, file string) []apiextensionsv1.ValidationRule {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "..", "package", "crds", file))
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(b, crd); err != nil {
		t.Fatalf("cannot parse %s: %v", file, err)
	}
	if len(crd.Spec.Versions) == 0 || crd.Spec.Versions[0].Schema == nil {
		t.Fatalf("%s has no schema", file)
	}
	var rules []apiextensionsv1.ValidationRule
	for _, v := range crd.Spec.Versions {
		s := v.Schema.OpenAPIV3Schema
		ext := s.Properties["spec"].Properties["forProvider"].Properties["extensions"]
		if len(ext.XValidations) != 1 {
			t.Fatalf("%s %s: want one validation rule on spec.forProvider.extensions, got %d", file, v.Name, len(ext.XValidations))
		}
		rules = append(rules, ext.XValidations[0])
	}
	return rules
}

// quoted returns the single-quoted strings of a CEL list's body, sorted.
func quoted(list string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(list, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}
